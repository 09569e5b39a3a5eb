"""Linked cases for staff (docs/decisions/0033-linked-cases.md): the links a person is shown,
and the checked way to link and unlink two cases.

The rule this module keeps: a link is shown only to someone who can see both its cases, and it
never reveals a case to anyone who cannot see it: not its reference, not that it exists, not
how many links are hidden. So the links of a case are read already filtered by the gate in SQL
(``case_queryset_for_user`` for the other case), and a reference typed by someone who cannot see
its case gets the same answer, and the same recorded refusal, as one that does not exist.
Linking and unlinking need ``predicates.may_link`` (someone who works both cases).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value

from cases.exceptions import LinkRefused
from cases.links import link_add, link_remove
from cases.models import Case, CaseLink
from permissions.access import case_queryset_for_user, case_refuse, parse_id, record_refusal
from permissions.predicates import may_link, may_link_from
from permissions.roles import CasePerm

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The one answer for a reference that is malformed, unknown, or names a case the person
# cannot see: it confirms nothing.
NOT_FOUND = "No case you can open has that reference. Check it on the other case's page."
NOT_BOTH = "Only a handler who works on both cases can link them. Ask the handler of both cases."
_REFERENCE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}")


def reference_normalise(typed: object) -> str | None:
    """A reference as staff quote it (``7KQM-3XTP``) from what was typed: any case, spaces
    around or inside, the dash optional. ``None`` when it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    text = re.sub(r"\s+", "", typed).upper()
    if len(text) == 8 and "-" not in text:
        text = f"{text[:4]}-{text[4:]}"
    return text if _REFERENCE.fullmatch(text) else None


def link_list_for_user(user: User, case: Case) -> QuerySet[CaseLink]:
    """The links of ``case`` (a case ``user`` already reaches through the gate) to the cases
    ``user`` may see too, oldest first, each with its other case and that case's type, and
    ``may_unlink``: whether ``user`` may remove it (``predicates.may_link``, answered in the
    same query). One query for any number of links (besides the gate's own read of the
    person's teams); the links to cases they cannot see are left out by the database, so
    nothing of them is read."""
    visible = case_queryset_for_user(user, CasePerm.VIEW).values("pk")
    links = (
        CaseLink.objects.filter(case=case, other__in=visible)
        .select_related("other__case_type")
        .order_by("linked_at", "pk")
    )
    if not may_link_from(user, case):
        return links.annotate(may_unlink=Value(False, output_field=BooleanField()))
    worked = case_queryset_for_user(user, CasePerm.WORK).values("pk")
    return links.annotate(
        may_unlink=ExpressionWrapper(Q(other__in=worked), output_field=BooleanField())
    )


def case_link(*, case: Case, reference: str, kind: str, note: str, actor: User) -> CaseLink:
    """Link ``case`` to the case whose ``reference`` the actor typed, as ``kind``, with
    ``note`` (sealed under each case's key; ``cases.links.link_add``, audited on both cases).
    Returns ``case``'s side of the link. Raises ``LinkRefused`` (its ``field`` names the form
    field): the same ``NOT_FOUND`` for a reference that is malformed, unknown or names a case
    the actor cannot see (recorded as a refused request, with no case id, either way);
    ``NOT_BOTH`` unless ``predicates.may_link`` (the actor works both cases); and
    ``link_add``'s refusals (the case itself, a kind or note that is not right, two cases
    already linked)."""
    wanted = reference_normalise(reference)
    other = None
    if wanted is not None:
        other = (
            case_queryset_for_user(actor, CasePerm.VIEW)
            .select_related("case_type")
            .filter(reference=wanted)
            .first()
        )
    if other is None:
        record_refusal(actor, None, "link")
        raise LinkRefused(NOT_FOUND)
    if other.pk != case.pk and not may_link(actor, case, other):
        raise LinkRefused(NOT_BOTH)
    return link_add(case=case, other=other, kind=kind, note=note, actor=actor)


def case_unlink(*, case: Case, link_id: object, actor: User) -> bool:
    """Remove the link of ``case`` whose id is ``link_id`` (``cases.links.link_remove``,
    audited on both cases); returns whether it was still there. A link that is not on the
    case, or whose other case the actor cannot see, is the gate's recorded not-found
    (``CaseNotFound``) like a missing one; ``LinkRefused`` unless ``predicates.may_link``."""
    parsed = parse_id(link_id)
    link = (
        link_list_for_user(actor, case).select_related("case").filter(pk=parsed).first()
        if parsed is not None
        else None
    )
    if link is None:
        case_refuse(actor, case.pk, "unlink")
    if not may_link(actor, case, link.other):
        raise LinkRefused("Only a handler who works on both cases can remove their link.")
    return link_remove(link=link, actor=actor)
