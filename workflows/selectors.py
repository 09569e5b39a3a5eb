"""Reads of case lists: one function serves the staff list, its CSV export and any later API.

Everything here starts from ``permissions.access.case_queryset_for_user``, so a list can only
ever narrow what the gate allows, and every filter and sort stays in SQL (a page is one query,
whatever the filters). The counts beside each filter's values are two grouped queries over the
same rows (``case_counts_for_user``), which give the list's own count too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from django.contrib.auth.models import Permission
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as Choose
from django.db.models.expressions import OrderBy
from django.utils import timezone

from cases.models import Case
from permissions.access import case_ids_of, case_queryset_for_user, cases_for_triage
from permissions.models import CaseGroupPermission, CaseUserPermission
from permissions.roles import CasePerm
from permissions.selectors import people_holding
from workflows import registry

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
    """The cases ``user`` may see, narrowed by ``filters``, in the asked-for order (the
    deadline's is the case's ``next_due``, the earliest due day of its running clocks, a
    column the database keeps: no subquery per case). ``seen`` is the
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


# The filters with counts; who holds a case ("assignee") is counted apart from the others.
FACETS = ("type", "stage", "new", "category", "unit", "assignee", "deadline", "attention")
GROUPED = tuple(facet for facet in FACETS if facet != "assignee")


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


class CaseGroup(NamedTuple):
    """Cases that agree on every filter with counts but who holds them (one row of the
    grouped query), and how many of them: in all (``n``), held by someone, a person or a
    team (``held``), and held personally by the person the list is narrowed to, "me" or
    another (``asked``; 0 when it is not narrowed to a person)."""

    case_type: str
    stage: str
    category: str
    unit: str
    deadline: str  # "overdue", "due" or ""
    attention: bool
    n: int
    held: int
    asked: int

    def values(self, initials: set[str]) -> tuple[str, ...]:
        """The value of each facet of ``GROUPED`` these cases have, in its order ("" none)."""
        new = "1" if self.stage in initials else ""
        attention = "1" if self.attention else ""
        return (self.case_type, self.stage, new, self.category, self.unit, self.deadline, attention)

    def matching(self, assignee: str) -> int:
        """How many of them the list's choice of who holds them lets through."""
        if not assignee:
            return self.n
        return self.n - self.held if assignee == "none" else self.asked


def _wanted(filters: CaseFilters, facet: str) -> str:
    """What ``filters`` ask of ``facet``, as ``CaseGroup.values`` gives it ("" for anything)."""
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
    """The counts beside each filter's values, and the list's count, in two queries.

    The cases ``user`` may see (the gate's queryset, ``seen`` if given), narrowed by the
    reference and the days received, are grouped by every filter with counts but who holds
    them: type, stage, category, unit, deadline (overdue, due within a week: the case's
    ``next_due`` column) and attention; each group says how many of its cases are held by
    someone and how many by the person the list is narrowed to (a join to the live grants to
    work them, counted by distinct case). Each group is one row, so the rows are at most
    the cases seen and usually far fewer; every count is then a sum over the groups that
    match the other filters. The second query counts, for each person with a live grant to
    work one of them, the cases they hold that match every filter but who holds them.

    No subquery per case: PostgreSQL priced a subquery per case (the holders' ids, the
    running clocks) at so much for a large list that it compiled the query first (JIT, 0.1 s
    of 0.2 s at 10,000 cases). One ``GROUP BY`` each, which SQLite and PostgreSQL both run
    (no ``GROUPING SETS``, which SQLite lacks). A case the gate hides is in no group and no
    person's count, so no count can include it.
    """
    today = today or timezone.localdate()
    seen = seen if seen is not None else case_queryset_for_user(user)
    me = getattr(user, "pk", None)
    asked = me if filters.assignee == "me" else filters.person
    live = Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    work = _work()
    personal = Q(caseuserpermission__permission_id=work) & (
        Q(caseuserpermission__expires_on__isnull=True)
        | Q(caseuserpermission__expires_on__gte=today)
    )
    team = Q(casegrouppermission__permission_id=work)
    rows = (
        _unfaceted(seen, filters)
        .annotate(
            workers=FilteredRelation("caseuserpermission", condition=personal),
            teams=FilteredRelation("casegrouppermission", condition=team),
            deadline=Choose(
                When(next_due__lt=today, then=Value("overdue")),
                When(next_due__lte=today + dt.timedelta(days=7), then=Value("due")),
                default=Value(""),
            ),
            attention=ExpressionWrapper(Q(attention_since__isnull=False), BooleanField()),
        )
        .order_by()
        .values_list(
            "case_type__slug", "state", "category__slug", "org_unit__slug", "deadline", "attention"
        )
        .annotate(
            n=Count("pk", distinct=True),
            held=Count(
                "pk",
                distinct=True,
                filter=Q(workers__id__isnull=False) | Q(teams__id__isnull=False),
            ),
            asked=Count("pk", distinct=True, filter=Q(workers__user_id=asked))
            if asked is not None
            else Value(0),
        )
    )
    groups = [
        CaseGroup(
            case_type=case_type,
            stage=stage,
            category=category or "",
            unit=unit or "",
            deadline=deadline,
            attention=bool(attention),
            n=n,
            held=held,
            asked=asked_n,
        )
        for case_type, stage, category, unit, deadline, attention, n, held, asked_n in rows
    ]
    # Who holds them: among the cases matching every other filter as asked (with none asked,
    # the gate's ids, read without the cases).
    others = dataclasses.replace(filters, assignee="", sort=CaseFilters.sort)
    ids = (
        case_ids_of(seen)
        if others == CaseFilters()
        else case_list_for_user(user, others, today=today, seen=seen).order_by().values("pk")
    )
    people = (
        CaseUserPermission.objects.filter(live, permission_id=work, content_object__in=ids)
        .order_by()
        .values_list("user_id")
        .annotate(n=Count("pk"))
    )
    return case_counts_fold(groups, dict(people), filters, me=me)


def case_counts_fold(
    groups: list[CaseGroup], people: dict[int, int], filters: CaseFilters, *, me: int | None
) -> CaseCounts:
    """The counts from the groups and from the number of cases each person holds (each
    person's cases matching every filter but who holds them): a count is the sum over the
    groups matching every filter but its own, and who holds them chosen as asked."""
    initials = _initials()
    # The facets asked for, by their place in ``GROUPED``, and what each asks.
    asked = [(i, _wanted(filters, facet)) for i, facet in enumerate(GROUPED)]
    asked = [(i, wanted) for i, wanted in asked if wanted]
    counted: list[Counter[str]] = [Counter() for _ in GROUPED]
    total = nobody = 0
    for group in groups:
        has = group.values(initials)
        misses = [i for i, wanted in asked if has[i] != wanted]
        if len(misses) > 1:
            continue
        n = group.matching(filters.assignee)
        if misses:  # matching every other filter: counts for the one it misses
            counted[misses[0]][has[misses[0]]] += n
            continue
        total += n
        nobody += group.n - group.held
        for i, value in enumerate(has):
            counted[i][value] += n
    by_facet = {facet: counted[i] for i, facet in enumerate(GROUPED)}
    for values in by_facet.values():
        values.pop("", None)  # no value (no category, no deadline, not new)
    by_facet["assignee"] = Counter({"none": nobody})
    for pk, n in people.items():
        by_facet["assignee"][str(pk)] += n
    if me in people:
        by_facet["assignee"]["me"] += people[me]
    return CaseCounts(total=total, by_facet=by_facet)
