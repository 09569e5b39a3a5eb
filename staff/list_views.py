"""The staff case list: search, filters with the number of cases each value gives, saved
views, and its CSV export. Every case comes through the gate (``workflows.selectors`` starts from
``permissions.access.case_queryset_for_user``); the list never reads a sealed column.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.models import Case, CaseType, Category, OrganisationalUnit
from permissions.access import case_count_for_user, case_queryset_for_user
from permissions.audit import staff_event_record
from permissions.selectors import case_types_recordable_by, people_holding
from staff.views import _state_label, _user
from workflows import registry
from workflows.selectors import (
    CaseFilters,
    case_counts_for_user,
    case_filters_checked,
    case_list_for_user,
)

PAGE_SIZE = 25


def _filtered_cases(request: HttpRequest) -> QuerySet[Case]:
    """The cases the user may see, narrowed by the list's filters (all in SQL); a person the
    user may not name is ignored (``case_filters_checked``)."""
    user = _user(request)
    seen = case_queryset_for_user(user)
    filters = case_filters_checked(user, CaseFilters.from_params(request.GET), seen=seen)
    return case_list_for_user(user, filters, seen=seen)


LIST_COLUMNS = (
    "reference",
    "state",
    "received_on",
    "attention_since",
    "next_due",
    "case_type__name",
    "case_type__workflow",
    "category__name",
)


class _ListPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator that takes the list's count from ``count`` (called once, when needed)."""

    def __init__(self, cases: QuerySet[Case], per_page: int, *, count: Callable[[], int]):
        super().__init__(cases, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def case_list_page(
    user: Any,
    params: Mapping[str, str],
    per_page: int = PAGE_SIZE,
    *,
    filters: CaseFilters | None = None,
    seen: QuerySet[Case] | None = None,
    count: Callable[[], int] | None = None,
) -> Page[Case]:
    """One page of the case list as ``params`` (the query string) ask for it: the cases the
    user may see, narrowed by the list's filters (``filters`` when the caller has checked them
    already), with only the columns the page shows (never a sealed column: content stays on
    the case page). Its count is ``count`` when given (the list page's comes with the filters'
    counts); else, when nothing narrows the list, the gate's, counted from the grants without
    reading the cases (``case_count_for_user``; the same number)."""
    if filters is None:
        filters = case_filters_checked(user, CaseFilters.from_params(params), seen=seen)
    cases = case_list_for_user(user, filters, seen=seen).only(*LIST_COLUMNS)
    if count is None:
        unnarrowed = filters == CaseFilters(sort=filters.sort)
        count = (lambda: case_count_for_user(user)) if unnarrowed else cases.count
    return _ListPaginator(cases, per_page, count=count).get_page(params.get("page"))


# Saved views: the lists a handler or triage lead opens every day, as the filters' query
# strings (so a view is an address to bookmark, and the same filters as the form's).
SAVED_VIEWS = (
    (_("My cases"), "assignee=me"),
    (_("My overdue cases"), "assignee=me&deadline=overdue&sort=deadline"),
    (_("New, held by nobody (for triage)"), "new=1&assignee=none&sort=oldest"),
    (_("Due within a week"), "deadline=due&sort=deadline"),
)


@never_cache
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The list, its filters with the number of cases each value gives, and saved views.

    Queries, whatever the filters: the gate's (the person's teams, once), the people the
    "held by" filter may name (those holding a case the user sees), two grouped queries for
    every filter's counts and the list's count (``case_counts_for_user``), and the page."""
    user = _user(request)
    seen = case_queryset_for_user(user)
    people = people_holding(seen)
    filters = case_filters_checked(user, CaseFilters.from_params(request.GET), people)
    counts = case_counts_for_user(user, filters, seen=seen)
    page = case_list_page(user, request.GET, filters=filters, seen=seen, count=lambda: counts.total)
    rows = [(case, _state_label(case)) for case in page.object_list]
    stages = sorted(
        {(state.name, str(state.staff)) for spec in registry.specs() for state in spec.states},
        key=lambda pair: pair[1],
    )
    categories = (
        Category.objects.filter(is_active=True)
        .order_by("name")
        .values_list("slug", "name")
        .distinct()
    )
    units = (
        OrganisationalUnit.objects.filter(is_active=True)
        .order_by("name")
        .values_list("slug", "name")
    )

    def options(
        facet: str, pairs: Iterable[tuple[object, object]], chosen: str
    ) -> list[FilterOption]:
        return [
            FilterOption(str(value), str(label), counts.of(facet, value), str(value) == chosen)
            for value, label in pairs
        ]

    case_types = CaseType.objects.order_by("position", "name").values_list("slug", "name")
    # The one asking is "Me", never by name.
    others = [(pk, label) for pk, label in people if pk != user.pk]
    held_by = [("me", _("Me")), ("none", _("Nobody yet")), *others]
    return render(
        request,
        "staff/case_list.html",
        {
            "page": page,
            "rows": rows,
            "case_types": options("type", case_types, filters.case_type),
            "stages": options("stage", stages, filters.stage),
            "categories": options("category", categories, filters.category),
            "units": options("unit", units, filters.unit),
            "held_by": options("assignee", held_by, filters.assignee),
            "deadlines": options(
                "deadline",
                [("due", _("Due within a week")), ("overdue", _("Overdue"))],
                filters.deadline,
            ),
            "new_count": counts.of("new", 1),
            "attention_count": counts.of("attention", 1),
            "views": SAVED_VIEWS,
            "filters": request.GET,
            "today": timezone.localdate(),
            "may_record": case_types_recordable_by(user).exists(),
        },
    )


@dataclass(frozen=True)
class FilterOption:
    """A value of a list filter as its menu offers it: how many cases it gives, the other
    filters as they are."""

    value: str
    label: str
    count: int
    selected: bool


EXPORT_COLUMNS = ("reference", "case type", "stage", "category", "received")
EXPORT_CHUNK = 2000


class _Line:
    """A file for ``csv.writer`` that hands each written line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


@never_cache
@require_GET
def case_export(request: HttpRequest) -> StreamingHttpResponse:
    """The list as CSV: case metadata only, never content, only cases the user may see, with
    the list's filters. Streamed a chunk of rows at a time (memory stays flat however many
    cases there are), reading only the columns it writes, never a sealed one. Each export is
    a ``cases.exported`` staff event with its number of rows."""
    cases = _filtered_cases(request)
    staff_event_record(code="cases.exported", actor=_user(request), payload={"rows": cases.count()})
    response = StreamingHttpResponse(_export_lines(cases), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cases.csv"'
    return response


def _export_lines(cases: QuerySet[Case]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_COLUMNS)
    labels: dict[tuple[str, str], str] = {}
    rows = cases.values_list(
        "reference",
        "case_type__name",
        "case_type__workflow",
        "state",
        "category__name",
        "received_on",
    )
    for reference, type_name, workflow, state, category, received in rows.iterator(
        chunk_size=EXPORT_CHUNK
    ):
        label = labels.get((workflow, state))
        if label is None:
            label = labels[workflow, state] = registry.state_label(workflow, state)
        yield writer.writerow(
            [
                csv_cell(reference),
                csv_cell(type_name),
                csv_cell(label),
                csv_cell(category or ""),
                received.isoformat(),
            ]
        )


# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# carriage return, may shift it until it does): names typed in the administration site must
# never run as formulas on the computer of whoever opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` made inert for spreadsheets: a leading apostrophe before a formula start."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
