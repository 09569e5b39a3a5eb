"""Staff roles: Django groups with fixed names, and what each role may be granted on a case.

A role says what kind of work someone does; it never grants a case by itself. Access to a
case comes only from a per-case grant (or, for a triage lead, from a new case of a case type
whose triage team they are in), and it is checked in ``permissions/access.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

from cases.page_scope import page_kept

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(StrEnum):
    TRIAGE_LEAD = "Triage lead"
    HANDLER = "Handler"
    EXTERNAL_INVESTIGATOR = "External investigator"
    GOVERNANCE_LEAD = "Governance lead"
    ADMINISTRATOR = "Administrator"
    # Shown a confidential reporter's identity, which nobody else sees until it is shared
    # (e.g. a Freedom to Speak Up Guardian; docs/decisions/0031-confidential-reporting.md).
    CONFIDENTIAL_CONTACT = "Confidential contact"
    # Decides appeals of cases they took no part in, each through a grant for that appeal only,
    # ending when the appeal is decided or on its end date, whichever comes first (a pool of
    # people inside or outside the organisation; decision 0032).
    APPEAL_DECISION_MAKER = "Appeal decision-maker"


class CasePerm(StrEnum):
    """Object permissions on a case (codenames on ``cases.Case``)."""

    VIEW = "view_case"  # see the case and its content
    WORK = "change_case"  # move it, message the reporter, add notes and actions
    VIEW_CONTACT = "view_reporter_contact"  # see the reporter's contact details
    DECIDE_APPEAL = "decide_appeal"  # take the step that decides the case's appeal, nothing else


# Roles that bring someone near case content: granted and removed only by two people.
CONTENT_ROLES = frozenset(
    {
        Role.TRIAGE_LEAD,
        Role.HANDLER,
        Role.EXTERNAL_INVESTIGATOR,
        Role.GOVERNANCE_LEAD,
        Role.CONFIDENTIAL_CONTACT,
        Role.APPEAL_DECISION_MAKER,
    }
)
ROLE_NAMES = frozenset(role.value for role in Role)


# What an assignment grants, by the assignee's role. External investigators work the case
# but never see how to contact the reporter, and their access ends on a date. An appeal
# decision-maker sees the case and may decide its appeal, nothing else (not work it: no
# message, note, action or other step), until the appeal is decided or a date, at most
# ``APPEAL_ACCESS_DAYS`` ahead.
GRANTS: dict[Role, tuple[CasePerm, ...]] = {
    Role.HANDLER: (CasePerm.VIEW, CasePerm.WORK, CasePerm.VIEW_CONTACT),
    Role.EXTERNAL_INVESTIGATOR: (CasePerm.VIEW, CasePerm.WORK),
    Role.APPEAL_DECISION_MAKER: (CasePerm.VIEW, CasePerm.DECIDE_APPEAL),
}
APPEAL_ACCESS_DAYS = 90


# Models an administrator configures (model-level permissions on these are fine); every
# other model of the case apps holds case data and is reached only through per-case grants.
CONFIGURATION_MODELS = frozenset({"casetype", "category", "organisationalunit", "outcomecode"})
# What the Administrator role may do in the administration site, as (app, model, actions):
# configuration, and staff accounts' names and e-mail. Nothing that holds case data or a
# credential, and never groups (roles and teams change on the access page, by two people).
ADMINISTRATOR_MODEL_PERMISSIONS = (
    # Configuration is changed on the settings pages (/staff/settings/), which ask for the
    # role itself (``may_configure``), not a model permission.
    ("auth", "user", ("view", "add", "change")),
)
CASE_DATA_APPS = ("cases", "permissions", "workflows", "guardian")


# Where ``roles_remember`` keeps the roles read with a locked case, on the user object (which
# lives as long as the request that loaded it).
_REMEMBERED = "_speakup_roles"


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[Role]:
    """The user's roles: read from their groups, or as the gate's locked read of a case found
    them moments ago in the same request (``roles_remember``)."""
    if not user.is_authenticated:
        return set()
    remembered = getattr(user, _REMEMBERED, None)
    if remembered is not None:
        return set(remembered)
    # Read once in a page scope (``cases.page_scope``): a case page asks some twenty times.
    return set(page_kept(("roles_of", user.pk), lambda: frozenset(_roles_read(user))))


def _roles_read(user: AbstractBaseUser | AnonymousUser) -> set[Role]:
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
    return roles_from(names)


def roles_from(names: Iterable[str]) -> set[Role]:
    """The roles among these group names (the rest are teams)."""
    given = set(names)
    return {role for role in Role if role.value in given}


def roles_remember(user: AbstractBaseUser | AnonymousUser, roles: set[Role]) -> None:
    """Keep ``roles``, read with the user's locked case, on this user object, so the step's
    role check that follows in the same request reads them again from nowhere. Forgotten when
    the user's groups change through this object (``roles_forget``)."""
    setattr(user, _REMEMBERED, frozenset(roles))


def roles_forget(user: object) -> None:
    """Drop remembered roles (the user's groups changed)."""
    if hasattr(user, _REMEMBERED):
        delattr(user, _REMEMBERED)


def may_manage_access(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Administrators propose, confirm and decline changes of role and team, and use the
    administration site. Being a superuser or ``is_staff`` counts for nothing here."""
    return bool(user.is_authenticated and user.is_active and Role.ADMINISTRATOR in roles_of(user))
