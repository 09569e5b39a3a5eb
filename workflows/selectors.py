"""Reads of case lists: one function serves the staff list, its CSV export and any later API.

Everything here starts from ``permissions.access.case_queryset_for_user``, so a list can only
ever narrow what the gate allows, and every filter and sort stays in SQL (a page is one query
and its count, whatever the filters).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy
from django.utils import timezone

from cases.models import Case
from permissions.access import case_queryset_for_user, cases_for_triage
from permissions.models import CaseGroupPermission, CaseUserPermission
from permissions.roles import CasePerm
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
    assignee: str = ""  # one of ASSIGNEES
    received_from: dt.date | None = None  # received on or after this day
    received_to: dt.date | None = None  # received on or before this day
    sort: str = "newest"  # one of SORTS

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
            assignee=assignee if assignee in ASSIGNEES else "",
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


def _held(case_ids: OuterRef, **whom: object) -> Exists:
    """Whether a live grant to work the case exists for a person (``user=...``) or anyone."""
    today = timezone.localdate()
    grants = CaseUserPermission.objects.filter(
        content_object=case_ids, permission__codename=CasePerm.WORK, **whom
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    return Exists(grants)


def case_list_for_user(
    user: AbstractBaseUser | AnonymousUser, filters: CaseFilters, *, today: dt.date | None = None
) -> QuerySet[Case]:
    """The cases ``user`` may see, narrowed by ``filters``, each annotated with ``next_due``
    (the earliest due day of its running clocks), in the asked-for order."""
    cases = case_queryset_for_user(user).select_related("case_type", "category")
    if filters.query:
        cases = cases.filter(reference__icontains=filters.query)
    if filters.case_type:
        cases = cases.filter(case_type__slug=filters.case_type)
    if filters.new:
        cases = cases.filter(state__in={spec.initial for spec in registry.specs()})
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
        teams = CaseGroupPermission.objects.filter(
            content_object=OuterRef("pk"), permission__codename=CasePerm.WORK
        )
        cases = cases.filter(~_held(OuterRef("pk")), ~Exists(teams))
    if filters.received_from:
        cases = cases.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        cases = cases.filter(received_on__lte=filters.received_to)
    today = today or timezone.localdate()
    running = Clock.objects.filter(
        case=OuterRef("pk"), stopped_on__isnull=True, paused_on__isnull=True
    )
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
