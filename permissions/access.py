"""The one gate through which anything obtains a case (STYLE.md point 3).

Every refusal is the same ``CaseNotFound``: missing, forbidden, malformed and wrong are
indistinguishable, so an answer never confirms that a case exists. The staff side (one case
for a user and a permission, the queryset a user may list) arrives with the staff-access
issue; the reporter's token lookup is here from the start.
"""

from __future__ import annotations

from cases.exceptions import CaseNotFound
from cases.models import Case
from cases.tokens import token_digest, token_normalize

# Digested when the input cannot be a token, so a malformed guess costs the same work (an
# HMAC and an indexed lookup) as a well-formed wrong one. No token normalises to this.
_NOT_A_TOKEN = "not-a-token"  # noqa: S105  (not a secret: a value no token can have)


def case_for_reporter_token(typed: object) -> Case:
    """The case whose token the reporter typed, or ``CaseNotFound``.

    Any input is accepted (any length, any alphabet, not even a string) and answered alike.
    Throttling per client and globally is the caller's job (intake), because a wrong token
    identifies no case and so cannot lock one.
    """
    normalized = token_normalize(typed)
    digest = token_digest(normalized if normalized is not None else _NOT_A_TOKEN)
    case = Case.objects.select_related("case_type").filter(token_digest=digest).first()
    # Rule: a token that is not well formed finds nothing, even by accident.
    if case is None or normalized is None:
        raise CaseNotFound()
    return case
