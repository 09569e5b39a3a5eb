"""Reads about people and access: who holds which role and team (the access page), and who
may be named on a case's forms. Case pages offer only the people these return, so nobody
who may view a case is sent the names of every member of staff.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, StringAgg, Subquery, Value
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseType
from permissions.access import case_ids_of
from permissions.models import (
    AccessChange,
    CaseExclusion,
    CaseGroupPermission,
    CaseUserPermission,
    ChangeStatus,
    StaffEvent,
)
from permissions.roles import ROLE_NAMES, CasePerm, Role

# Roles whose holders may be put on a case, or must be kept off one.
ASSIGNABLE_ROLES = (Role.HANDLER.value, Role.EXTERNAL_INVESTIGATOR.value)
# Whose role could bring them to a case: the confidential contact too, who sees a
# confidential reporter's identity (decision 0031), and an appeal decision-maker, who may be
# given an appeal (decision 0032), so either can be excluded for a conflict.
CASE_ROLES = (
    *ASSIGNABLE_ROLES,
    Role.TRIAGE_LEAD.value,
    Role.CONFIDENTIAL_CONTACT.value,
    Role.APPEAL_DECISION_MAKER.value,
)


def _excluded_from(case: Case) -> Exists:
    return Exists(CaseExclusion.objects.filter(case=case, user=OuterRef("pk")))


def people_assignable(case: Case) -> QuerySet[User]:
    """Active handlers and external investigators not excluded from ``case`` (the choices of
    the assignment form; ``case_assign`` re-checks every rule)."""
    return (
        User.objects.filter(is_active=True, groups__name__in=ASSIGNABLE_ROLES)
        .exclude(_excluded_from(case))
        .distinct()
        .order_by("username")
    )


def people_for_appeal(case: Case) -> QuerySet[User]:
    """Active appeal decision-makers who took no part in ``case``: whom its triage team may
    give access to decide its appeal (decision 0032). Taking part is anything that brought
    them to the case before: an event they were the actor of (a step, a message, a look at
    it), a grant of their own on it (held or expired: an assignment, an earlier appeal), a
    grant to a team they are in, or an exclusion from it."""
    acted = CaseEvent.objects.filter(case=case, actor=OuterRef("pk"))
    granted = CaseUserPermission.objects.filter(content_object=case, user=OuterRef("pk"))
    team = CaseGroupPermission.objects.filter(content_object=case, group__user=OuterRef("pk"))
    return (
        User.objects.filter(is_active=True, groups__name=Role.APPEAL_DECISION_MAKER.value)
        .exclude(Exists(acted))
        .exclude(Exists(granted))
        .exclude(Exists(team))
        .exclude(_excluded_from(case))
        .distinct()
        .order_by("username")
    )


def people_excludable(case: Case) -> QuerySet[User]:
    """Active people whose role could bring them to ``case`` (handlers, investigators, triage
    leads, confidential contacts), not already excluded: whom a triage lead may exclude for a
    conflict."""
    return (
        User.objects.filter(is_active=True, groups__name__in=CASE_ROLES)
        .exclude(_excluded_from(case))
        .distinct()
        .order_by("username")
    )


def case_types_recordable_by(user: User) -> QuerySet[CaseType]:
    """The open kinds of report ``user`` may record on a reporter's behalf: those whose triage
    team they are in (``permissions.predicates.may_record_on_behalf``, for many at once)."""
    return CaseType.objects.filter(is_active=True, triage_team__in=user.groups.all()).order_by(
        "position", "name"
    )


def person_label(user: User, roles: Iterable[str]) -> str:
    """How a person is named on staff pages: their display name (full name, else username) and
    their roles, e.g. "Ann Smith (handler)"."""
    name = user.get_full_name().strip() or user.get_username()
    held = set(roles)
    named = [role.value.lower() for role in Role if role.value in held]
    return f"{name} ({', '.join(named)})" if named else name


def people_named(
    user_ids: Iterable[int], team_ids: Iterable[int] = ()
) -> tuple[dict[int, str], dict[int, str]]:
    """``person_label`` of each of these users, and the name of each of these teams, by id:
    three queries however many (none for an empty list)."""
    users = User.objects.filter(pk__in=set(user_ids)).prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("name"))
    )
    people = {u.pk: person_label(u, (g.name for g in u.groups.all())) for u in users}
    wanted = set(team_ids)
    teams = dict(Group.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    return people, teams


def people_holding(cases: QuerySet[Case]) -> list[tuple[int, str]]:
    """The active people who hold a live grant to work one of ``cases`` (a list the gate made
    for a viewer), each with ``person_label``, by name: the case list's "held by" choices.
    Never every member of staff: only those the viewer sees on a case's page. One query (the
    roles come with each person as one text, not a query of their own).

    Read from the cases' grants to the people (``pk IN`` the holders of the cases' grants),
    not person by person: asked of each person, SQLite looked up every case's grants once for
    each member of staff."""
    today = timezone.localdate()
    holders = CaseUserPermission.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        permission__codename=CasePerm.WORK,
        content_object__in=case_ids_of(cases),
    ).values("user_id")
    memberships = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name__in=ROLE_NAMES
    )
    roles = (
        memberships.order_by()
        .values("user_id")
        .annotate(names=StringAgg("group__name", Value("\n")))
        .values("names")  # type: ignore[misc]  # stubs miss the annotation
    )
    people = (
        User.objects.filter(pk__in=holders, is_active=True)
        .only("username", "first_name", "last_name")
        .annotate(role_names=Subquery(roles))
    )
    labelled = [
        (person.pk, person_label(person, (person.role_names or "").split("\n")))
        for person in people
    ]
    return sorted(labelled, key=lambda pair: (pair[1].casefold(), pair[0]))


def people_with_role(role: Role) -> QuerySet[User]:
    """Active people who hold ``role`` (for notices to a role: a report pack ready, a legal
    hold due for review)."""
    return User.objects.filter(is_active=True, groups__name=role.value).distinct()


def people_working_on(case: Case) -> QuerySet[User]:
    """Active people who may work ``case`` now (a live user grant or a team grant, and no
    exclusion): the only people an action on the case can be given to."""
    today = timezone.localdate()
    user_grant = CaseUserPermission.objects.filter(
        content_object=case, user=OuterRef("pk"), permission__codename=CasePerm.WORK
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    team_grant = CaseGroupPermission.objects.filter(
        content_object=case, permission__codename=CasePerm.WORK, group__user=OuterRef("pk")
    )
    return (
        User.objects.filter(is_active=True)
        .filter(Exists(user_grant) | Exists(team_grant))
        .exclude(_excluded_from(case))
        .order_by("username")
    )


def people_working_on_each(case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set[int]]:
    """``people_working_on`` for many cases at once, as user ids per case (a case nobody
    works is left out): three queries however many cases, for rounds that tell many cases'
    holders (``notifications.services.staff_news_send``)."""
    ids = list(case_ids)
    today = timezone.localdate()
    pairs = set(
        CaseUserPermission.objects.filter(
            content_object_id__in=ids, permission__codename=CasePerm.WORK, user__is_active=True
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .values_list("content_object_id", "user_id")
    )
    pairs |= set(
        CaseGroupPermission.objects.filter(
            content_object_id__in=ids,
            permission__codename=CasePerm.WORK,
            group__user__is_active=True,
        ).values_list("content_object_id", "group__user")
    )
    pairs -= set(CaseExclusion.objects.filter(case_id__in=ids).values_list("case_id", "user_id"))
    working: dict[uuid.UUID, set[int]] = {}
    for case_id, user_id in pairs:
        working.setdefault(case_id, set()).add(user_id)
    return working


@dataclass(frozen=True)
class Holder:
    """Someone (or a team) assigned to a case, as the case page names them."""

    label: str
    user_id: int | None
    team_id: int | None
    until: dt.date | None  # an investigator's access ends on this day


def case_holders(case: Case) -> list[Holder]:
    """Who holds ``case``: each person with a live grant to work it or to decide its appeal
    (display name and role, and the end date of an investigator's or a decision-maker's),
    then each team, in three queries."""
    today = timezone.localdate()
    held = (CasePerm.WORK, CasePerm.DECIDE_APPEAL)
    grants = (
        CaseUserPermission.objects.filter(content_object=case, permission__codename__in=held)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .select_related("user")
        .prefetch_related(Prefetch("user__groups", queryset=Group.objects.only("name")))
        .order_by("user__username")
    )
    people = [
        Holder(
            label=person_label(g.user, (group.name for group in g.user.groups.all())),
            user_id=g.user_id,
            team_id=None,
            until=g.expires_on,
        )
        for g in grants
        if g.user.is_active
    ]
    teams = (
        CaseGroupPermission.objects.filter(content_object=case, permission__codename=CasePerm.WORK)
        .select_related("group")
        .order_by("group__name")
    )
    return people + [
        Holder(label=g.group.name, user_id=None, team_id=g.group_id, until=None) for g in teams
    ]


# --- The access page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    team: Group
    members: list[User]
    triages: list[CaseType]


def role_holders() -> list[tuple[Role, list[User]]]:
    """Every role with the people who hold it, active or not."""
    groups = {
        group.name: group
        for group in Group.objects.filter(name__in=ROLE_NAMES).prefetch_related(
            Prefetch("user_set", queryset=User.objects.order_by("username"))
        )
    }
    return [
        (role, list(groups[role.value].user_set.all()) if role.value in groups else [])
        for role in Role
    ]


def team_rows() -> list[TeamRow]:
    """Every team (a group that is not a role), its members and the case types it triages."""
    teams = (
        Group.objects.exclude(name__in=ROLE_NAMES)
        .order_by("name")
        .prefetch_related(Prefetch("user_set", queryset=User.objects.order_by("username")))
    )
    triaged: dict[int, list[CaseType]] = {}
    for case_type in CaseType.objects.filter(triage_team__isnull=False).order_by("name"):
        triaged.setdefault(case_type.triage_team_id or 0, []).append(case_type)
    return [
        TeamRow(team=team, members=list(team.user_set.all()), triages=triaged.get(team.pk, []))
        for team in teams
    ]


def teams() -> QuerySet[Group]:
    return Group.objects.exclude(name__in=ROLE_NAMES).order_by("name")


def access_changes(*, pending: bool, limit: int = 50) -> QuerySet[AccessChange]:
    """Waiting proposals (oldest first), or decided ones (newest first)."""
    changes = AccessChange.objects.select_related(
        "user", "team", "case_type", "proposed_by", "closed_by"
    )
    if pending:
        return changes.filter(status=ChangeStatus.PENDING).order_by("proposed_at", "id")
    return changes.exclude(status=ChangeStatus.PENDING).order_by("-closed_at", "-id")[:limit]


def staff_events_recent(limit: int = 50) -> QuerySet[StaffEvent]:
    return StaffEvent.objects.select_related("actor", "user").order_by("-id")[:limit]
