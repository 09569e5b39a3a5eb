"""Reads of case lists: one function serves the staff list, its CSV export and any later API.

Everything here starts from ``permissions.access.case_queryset_for_user``, so a list can only
ever narrow what the gate allows, and every filter and sort stays in SQL (a page is one query,
whatever the filters). The counts beside each filter's values are one grouped query over the
same rows (``case_counts_for_user``), which gives the list's own count too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import Permission
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Cast
from django.utils import timezone

from cases.models import Case
from permissions.access import case_queryset_for_user, cases_for_triage
from permissions.models import CaseGroupPermission, CaseUserPermission
from permissions.roles import CasePerm
from permissions.selectors import people_holding
from workflows import registry
from workflows.models import Clock

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# How a list may be sorted; every order ends on the reference so pages are stable.
SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "newest": (F("received_on").desc(), "reference"),
    "oldest": ("received_on", "reference"),
    "deadline": (F("next_due").asc(nulls_last=True), "reference"),
    "reference": ("reference",),
}
DEADLINES = ("overdue", "due")  # past its day; due within a week
ASSIGNEES = ("me", "none")  # held by the one asking; held by nobody, person or team
# Or a person, by id: someone who holds a case the viewer sees (``case_filters_checked``).
PERSON = re.compile(r"[1-9][0-9]{0,11}")


@dataclass(frozen=True)
class CaseFilters:
    """What a list asks for, each value trimmed to what a real value can be."""

    query: str = ""  # part of a reference
    case_type: str = ""  # a case type's slug
    new: bool = False  # still at its workflow's first state
    stage: str = ""  # a state name
    category: str = ""  # a category's slug
    deadline: str = ""  # one of DEADLINES
    attention: bool = False  # reopened for attention by the reporter's check-in
    unit: str = ""  # an organisational unit's slug
    assignee: str = ""  # one of ASSIGNEES, or a person's id (digits)
    received_from: dt.date | None = None  # received on or after this day
    received_to: dt.date | None = None  # received on or before this day
    sort: str = "newest"  # one of SORTS

    @property
    def person(self) -> int | None:
        """The person the list is narrowed to (other than "me"), if any."""
        return int(self.assignee) if PERSON.fullmatch(self.assignee) else None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CaseFilters:
        """From a query string; anything unknown or malformed is ignored, never an error."""
        query = re.sub(r"[^0-9A-Z-]", "", params.get("q", "").strip().upper())[:9]
        deadline = params.get("deadline", "")
        assignee = params.get("assignee", "")
        sort = params.get("sort", "")
        return cls(
            query=query,
            case_type=params.get("type", "")[:50],
            new=bool(params.get("new")),
            stage=params.get("stage", "")[:32],
            category=params.get("category", "")[:50],
            deadline=deadline if deadline in DEADLINES else "",
            attention=bool(params.get("attention")),
            unit=params.get("unit", "")[:50],
            assignee=assignee if assignee in ASSIGNEES or PERSON.fullmatch(assignee) else "",
            received_from=_day(params.get("from", "")),
            received_to=_day(params.get("to", "")),
            sort=sort if sort in SORTS else "newest",
        )


def _day(text: str) -> dt.date | None:
    """A day as a date field sends it (``2026-11-30``), or ``None`` for anything else."""
    try:
        return dt.date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def _work() -> Subquery:
    """The id of the permission to work a case, looked up once by the database in the query
    that uses it: the grants are then read by id from their index, with no join to the
    permissions for every case (which made the counts read the permissions table per case)."""
    return Subquery(
        Permission.objects.filter(
            content_type__app_label="cases", content_type__model="case", codename=CasePerm.WORK
        )
        .order_by()
        .values("pk")[:1]
    )


def _held(case_ids: OuterRef, **whom: object) -> Exists:
    """Whether a live grant to work the case exists for a person (``user=...``) or anyone."""
    today = timezone.localdate()
    grants = CaseUserPermission.objects.filter(
        content_object=case_ids, permission_id=_work(), **whom
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    return Exists(grants)


def case_list_for_user(
    user: AbstractBaseUser | AnonymousUser,
    filters: CaseFilters,
    *,
    today: dt.date | None = None,
    seen: QuerySet[Case] | None = None,
) -> QuerySet[Case]:
    """The cases ``user`` may see, narrowed by ``filters``, each annotated with ``next_due``
    (the earliest due day of its running clocks), in the asked-for order. ``seen`` is the
    gate's queryset for ``user`` when the caller already has it (made once, it reads the
    person's teams once)."""
    cases = seen if seen is not None else case_queryset_for_user(user)
    cases = _unfaceted(cases.select_related("case_type", "category"), filters)
    if filters.case_type:
        cases = cases.filter(case_type__slug=filters.case_type)
    if filters.new:
        cases = cases.filter(state__in=_initials())
    if filters.stage:
        cases = cases.filter(state=filters.stage)
    if filters.category:
        cases = cases.filter(category__slug=filters.category)
    if filters.attention:
        cases = cases.filter(attention_since__isnull=False)
    if filters.unit:
        cases = cases.filter(org_unit__slug=filters.unit)
    if filters.assignee == "me":
        cases = cases.filter(_held(OuterRef("pk"), user_id=getattr(user, "pk", None)))
    elif filters.assignee == "none":
        cases = cases.filter(~_held(OuterRef("pk")), ~_team_held(OuterRef("pk")))
    elif filters.person is not None:
        cases = cases.filter(_held(OuterRef("pk"), user_id=filters.person))
    today = today or timezone.localdate()
    running = _running(OuterRef("pk"))
    cases = cases.annotate(next_due=Subquery(running.order_by("due_on").values("due_on")[:1]))
    if filters.deadline == "overdue":
        cases = cases.filter(next_due__lt=today)
    elif filters.deadline == "due":
        cases = cases.filter(next_due__gte=today, next_due__lte=today + dt.timedelta(days=7))
    return cases.order_by(*SORTS[filters.sort])


def appeals_for_triage(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    """The cases at their appeal (a state an independent step leaves) of the kinds ``user``
    triages and is not excluded from (``access.cases_for_triage``), oldest first, each with
    ``has_decider``: whether someone holds live access to decide it (decision 0032). No
    content: the columns a page of references needs only. One query."""
    appeals = Q(pk__in=[])
    for spec in registry.specs():
        for step in spec.steps:
            if step.independent:
                appeals |= Q(case_type__workflow=spec.key, state__in=step.sources)
    today = timezone.localdate()
    decider = CaseUserPermission.objects.filter(
        content_object=OuterRef("pk"), permission__codename=CasePerm.DECIDE_APPEAL
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    return (
        cases_for_triage(user)
        .filter(appeals)
        .annotate(has_decider=Exists(decider))
        .select_related("case_type")
        .only("reference", "state", "received_on", "case_type__name", "case_type__workflow")
        .order_by("received_on", "reference")
    )


def _unfaceted(cases: QuerySet[Case], filters: CaseFilters) -> QuerySet[Case]:
    """``cases`` narrowed by the filters that have no counts: the reference and the days
    received (every count is of cases that match them)."""
    if filters.query:
        cases = cases.filter(reference__icontains=filters.query)
    if filters.received_from:
        cases = cases.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        cases = cases.filter(received_on__lte=filters.received_to)
    return cases


def _initials() -> set[str]:
    return {spec.initial for spec in registry.specs()}


def _team_held(case_ids: OuterRef) -> Exists:
    """Whether a team holds a grant to work the case."""
    return Exists(
        CaseGroupPermission.objects.filter(content_object=case_ids, permission_id=_work())
    )


def _running(case_ids: OuterRef) -> QuerySet[Clock]:
    return Clock.objects.filter(case=case_ids, stopped_on__isnull=True, paused_on__isnull=True)


# --- Who may be named, and how many of each ---------------------------------------------------


def case_filters_checked(
    user: AbstractBaseUser | AnonymousUser,
    filters: CaseFilters,
    people: list[tuple[int, str]] | None = None,
    *,
    seen: QuerySet[Case] | None = None,
) -> CaseFilters:
    """``filters`` with a person kept only if they may be named: someone who holds a case
    ``user`` sees (``people``, read here when not given and a person is asked for); the
    one asking is "me". Any other id (forged, someone who holds nothing the viewer sees, a
    former colleague) is ignored like every malformed filter, never an error, so the list
    cannot be used to ask who holds what beyond the viewer's own cases."""
    person = filters.person
    if person is None:
        return filters
    if person == getattr(user, "pk", None):
        return dataclasses.replace(filters, assignee="me")
    if people is None:
        people = people_holding(seen if seen is not None else case_queryset_for_user(user))
    if any(pk == person for pk, _ in people):
        return filters
    return dataclasses.replace(filters, assignee="")


FACETS = ("type", "stage", "new", "category", "unit", "assignee", "deadline", "attention")


@dataclass(frozen=True)
class CaseCounts:
    """How many cases the list would show for each value of each filter, the others as asked
    (so a chosen value's count is the list's own, and choosing another shows how many it
    would give), and ``total``, the list's count. Keys are the values the query string takes
    (a slug, a state, "me", "none", a person's id, "overdue", "due", "1" for a checkbox)."""

    total: int = 0
    by_facet: dict[str, Counter[str]] = field(default_factory=dict)

    def of(self, facet: str, value: object) -> int:
        return self.by_facet.get(facet, Counter())[str(value)]


@dataclass(frozen=True)
class _Group:
    """A group of cases that agree on every filter with counts (one row of the grouped query)."""

    case_type: str
    stage: str
    category: str
    unit: str
    overdue: bool
    due: bool
    holders: frozenset[int]  # who holds a live personal grant to work them
    team: bool  # a team holds them
    attention: bool
    n: int

    def values(self, facet: str, me: int | None, initials: set[str]) -> list[str]:
        """The values of ``facet`` these cases have (several for who holds them)."""
        if facet == "assignee":
            values = [str(pk) for pk in self.holders]
            if me in self.holders:
                values.append("me")
            if not self.holders and not self.team:
                values.append("none")
            return values
        if facet == "deadline":
            return ["overdue"] if self.overdue else ["due"] if self.due else []
        if facet in ("new", "attention"):
            yes = self.stage in initials if facet == "new" else self.attention
            return ["1"] if yes else []
        value = {
            "type": self.case_type,
            "stage": self.stage,
            "category": self.category,
            "unit": self.unit,
        }[facet]
        return [value] if value else []


def _wanted(filters: CaseFilters, facet: str) -> str:
    """What ``filters`` ask of ``facet``, as ``_Group.values`` names it ("" for anything)."""
    return {
        "type": filters.case_type,
        "stage": filters.stage,
        "new": "1" if filters.new else "",
        "category": filters.category,
        "unit": filters.unit,
        "assignee": filters.assignee,
        "deadline": filters.deadline,
        "attention": "1" if filters.attention else "",
    }[facet]


def case_counts_for_user(
    user: AbstractBaseUser | AnonymousUser,
    filters: CaseFilters,
    *,
    today: dt.date | None = None,
    seen: QuerySet[Case] | None = None,
) -> CaseCounts:
    """The counts beside each filter's values, and the list's count, in one query.

    The cases ``user`` may see (the gate's queryset, ``seen`` if given), narrowed by the
    reference and the days received, are grouped by every filter with counts at once: type,
    stage, category, unit, deadline (overdue, due within a week), who holds them (the ids of
    the people with a live personal grant, and whether a team does) and attention. Each group
    is one row, so the rows are at most the cases seen and usually far fewer; every count is
    then a sum over the groups that match the other filters. One ``GROUP BY``, which SQLite
    and PostgreSQL both run (no ``GROUPING SETS``, which SQLite lacks, and no ``UNION`` of a
    query per filter, each reading the gate's rows again). A case the gate hides is in no
    group, so no count can include it.
    """
    today = today or timezone.localdate()
    cases = _unfaceted(seen if seen is not None else case_queryset_for_user(user), filters)
    running = _running(OuterRef("pk"))
    live = Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    holders = (
        CaseUserPermission.objects.filter(
            live, content_object=OuterRef("pk"), permission_id=_work()
        )
        .order_by()
        .values("content_object")
        .annotate(ids=StringAgg(Cast("user_id", CharField()), Value(",")))
        .values("ids")
    )
    rows = (
        cases.annotate(
            overdue=Exists(running.filter(due_on__lt=today)),
            due=Exists(running.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))),
            holders=Subquery(holders),
            team=_team_held(OuterRef("pk")),
            attention=ExpressionWrapper(Q(attention_since__isnull=False), BooleanField()),
        )
        .order_by()
        .values_list(
            "case_type__slug",
            "state",
            "category__slug",
            "org_unit__slug",
            "overdue",
            "due",
            "holders",
            "team",
            "attention",
        )
        .annotate(n=Count("pk"))
    )
    groups = [
        _Group(
            case_type=case_type,
            stage=stage,
            category=category or "",
            unit=unit or "",
            overdue=bool(overdue),
            due=bool(due),
            holders=frozenset(int(pk) for pk in (ids or "").split(",") if pk),
            team=bool(team),
            attention=bool(attention),
            n=n,
        )
        for case_type, stage, category, unit, overdue, due, ids, team, attention, n in rows
    ]
    me, initials = getattr(user, "pk", None), _initials()
    wanted = {facet: _wanted(filters, facet) for facet in FACETS}
    by_facet: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
    total = 0
    for group in groups:
        has = {facet: group.values(facet, me, initials) for facet in FACETS}
        misses = [facet for facet in FACETS if wanted[facet] and wanted[facet] not in has[facet]]
        if not misses:
            total += group.n
        if len(misses) > 1:
            continue
        # Matching every other filter: its values count for the one it misses, or for each.
        for facet in misses or FACETS:
            for value in has[facet]:
                by_facet[facet][value] += group.n
    return CaseCounts(total=total, by_facet=by_facet)
