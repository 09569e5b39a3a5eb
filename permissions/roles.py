"""Staff roles: Django groups with fixed names, and what each role may be granted on a case.

A role says what kind of work someone does; it never grants a case by itself. Access to a
case comes only from a per-case grant (or, for a triage lead, from a new case of a case type
whose triage team they are in), and it is checked in ``permissions/access.py``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(StrEnum):
    TRIAGE_LEAD = "Triage lead"
    HANDLER = "Handler"
    EXTERNAL_INVESTIGATOR = "External investigator"
    GOVERNANCE_LEAD = "Governance lead"
    ADMINISTRATOR = "Administrator"


class CasePerm(StrEnum):
    """Object permissions on a case (codenames on ``cases.Case``)."""

    VIEW = "view_case"  # see the case and its content
    WORK = "change_case"  # move it, message the reporter, add notes and actions
    VIEW_CONTACT = "view_reporter_contact"  # see the reporter's contact details


# What an assignment grants, by the assignee's role. External investigators work the case
# but never see how to contact the reporter, and their access ends on a date.
GRANTS: dict[Role, tuple[CasePerm, ...]] = {
    Role.HANDLER: (CasePerm.VIEW, CasePerm.WORK, CasePerm.VIEW_CONTACT),
    Role.EXTERNAL_INVESTIGATOR: (CasePerm.VIEW, CasePerm.WORK),
}


# Models an administrator configures (model-level permissions on these are fine); every
# other model of the case apps holds case data and is reached only through per-case grants.
CONFIGURATION_MODELS = frozenset({"casetype", "category", "organisationalunit"})
CASE_DATA_APPS = ("cases", "permissions", "workflows", "guardian")


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[Role]:
    if not user.is_authenticated:
        return set()
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    return {role for role in Role if role.value in names}
