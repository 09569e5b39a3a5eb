"""A report, assembled: the counts of ``reports.rollups`` made into published tables.

Every number here reaches a reader only through ``reports.disclosure.publish``; sentences are
written from the published (rounded, possibly hidden) numbers, never from the true ones. A
report costs a fixed number of queries whatever the number of cases: one per table, not per
case, category or case type.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils import timezone

from cases.models import CaseType, Category, OrganisationalUnit
from cases.outcomes import NO_OUTCOME, OutcomeName, outcome_names
from reports.aggregates import Grain, Scope, investigates
from reports.disclosure import OTHER, Published, Rule, Table, grouped, merge_small, publish, rule
from reports.monitoring import monitoring_tables
from reports.rollups import clock_compliance, durations, received_counts, span_counts
from workflows import registry
from workflows.spec import ClockKind

ChartKind = Literal["bars", "columns", "none"]


# --- Periods ---------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Period:
    """A whole calendar month, quarter or year: reports take no other ranges (decision 0022)."""

    grain: Grain
    start: dt.date

    def __post_init__(self) -> None:
        if (
            self.start.day != 1
            or (self.grain == "quarter" and self.start.month % 3 != 1)
            or (self.grain == "year" and self.start.month != 1)
        ):
            raise ValueError("A period starts on the first day of its month, quarter or year.")

    @classmethod
    def of(cls, grain: Grain, year: int, number: int = 1) -> Period:
        """``number`` is the month (1-12) or the quarter (1-4); ignored for a year."""
        month = {"month": number, "quarter": 3 * (number - 1) + 1, "year": 1}[grain]
        return cls(grain, dt.date(year, month, 1))

    @classmethod
    def latest_complete(cls, grain: Grain, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        current = cls.containing(grain, today)
        return current.previous()

    @classmethod
    def containing(cls, grain: Grain, day: dt.date) -> Period:
        months = _MONTHS[grain]
        month = ((day.month - 1) // months) * months + 1
        return cls(grain, dt.date(day.year, month, 1))

    @property
    def end(self) -> dt.date:
        return _add_months(self.start, _MONTHS[self.grain])

    def previous(self) -> Period:
        return Period(self.grain, _add_months(self.start, -_MONTHS[self.grain]))

    def last_year(self) -> Period:
        return Period(self.grain, _add_months(self.start, -12))

    def months(self) -> list[dt.date]:
        return [_add_months(self.start, i) for i in range(_MONTHS[self.grain])]

    @property
    def label(self) -> str:
        if self.grain == "month":
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        if self.grain == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return str(self.start.year)

    @property
    def slug(self) -> str:
        return f"{self.grain}-{self.start:%Y-%m}"


# --- What a report holds ---------------------------------------------------------------------


@dataclass
class View:
    """One table of a report, its chart and the sentence its chart states."""

    key: str
    title: str
    table: Published
    chart: ChartKind = "bars"
    finding: str = ""
    totals: bool = True
    number_format: str = "count"  # or "days" (medians: not counts, never rounded)

    @property
    def lines(self) -> list[tuple[str, list[Any], int | None]]:
        """Each row with its cells and its total, for templates."""
        t = self.table
        return list(zip(t.rows, t.cells, t.row_totals, strict=True))


@dataclass
class Section:
    """Everything about one case type: case types are never added together."""

    case_type: str
    kind: str  # "investigated" or "counted for trends only"
    views: list[View] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    unit: str | None
    rule_words: str
    produced_on: dt.date
    sections: list[Section]
    side_by_side: View | None = None
    # Equality monitoring: counted apart from cases, so shown only for the whole organisation
    # and every kind of report together (it cannot be split by either).
    monitoring: list[View] = field(default_factory=list)

    @property
    def title(self) -> str:
        where = self.unit or "the whole organisation"
        return f"Speak up report: {self.period.label}, {where}"

    @property
    def nothing_to_show(self) -> bool:
        views = [v for s in self.sections for v in s.views]
        if self.side_by_side:
            views.append(self.side_by_side)
        return all(v.table.nothing_to_show for v in views)

    def views(self) -> list[View]:
        found = [self.side_by_side] if self.side_by_side else []
        return found + [v for s in self.sections for v in s.views] + self.monitoring


# --- Words -----------------------------------------------------------------------------------


def number_words(value: int | None) -> str:
    return "too few to show" if value is None else str(value)


def change_words(before: int | None, after: int | None) -> str:
    """The change between two published numbers in words: "up from 10 to 20"."""
    if before is None or after is None:
        return "too few cases to compare"
    if after > before:
        return f"up from {before} to {after}"
    if after < before:
        return f"down from {before} to {after}"
    return f"unchanged at {after}"


# --- Building a report -----------------------------------------------------------------------


def _names(table: Any, ids: set[Any]) -> dict[Any, str]:
    ids.discard(None)
    return dict(table.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def report_build(
    *,
    period: Period,
    case_type_ids: Sequence[int],
    unit_id: int | None = None,
    the_rule: Rule | None = None,
) -> Report:
    """The report for ``period`` on the case types given (each its own section, and side by
    side when more than one), for one unit or the whole organisation. A fixed number of
    queries (about a dozen) whatever the number of cases."""
    the_rule = the_rule or rule()
    # Every case type in one query (a handful of rows): the report's, and whether it covers
    # them all (equality monitoring is shown only then).
    every = list(
        CaseType.objects.order_by("position", "name").values_list("pk", "name", "workflow")
    )
    wanted = set(case_type_ids)
    types = [row for row in every if row[0] in wanted]
    ids = tuple(pk for pk, _, _ in types)
    scope = Scope(period.start, period.end, ids, unit_id)
    before, last_year = period.previous(), period.last_year()
    spans = {
        "this": scope,
        "before": scope.shifted(before.start, before.end),
        "last_year": scope.shifted(last_year.start, last_year.end),
    }
    # Counts from the rollups (decision 0023), never the case rows: one query for the three
    # spans' counts and the outcomes, one for the two tables of the cases received in the
    # period (by month and category, by stage), one for both durations.
    in_spans = span_counts(spans)
    by_outcome = in_spans["this"]["outcome"]
    by_category: dict[tuple[Any, ...], int] = defaultdict(int)
    by_stage: dict[tuple[Any, ...], int] = defaultdict(int)
    for key, n in received_counts(scope, ["month", "category", "stage"]).items():
        by_category[key[:3]] += n
        by_stage[(key[0], key[3])] += n
    by_unit = received_counts(scope, ["unit", "named"])
    took = durations(scope)
    to_acknowledge, to_close = took["acknowledge"], took["close"]
    clocks = clock_compliance(scope, period.grain)
    organisation = (
        received_counts(Scope(period.start, period.end, ids), ["category"])
        if unit_id is not None
        else None
    )
    outcome_name = outcome_names(ids)
    categories = _names(Category, {k[2] for k in by_category} | {k[1] for k in organisation or {}})
    units = _names(OrganisationalUnit, {k[1] for k in by_unit} | {unit_id})
    unit_name = units.get(unit_id) if unit_id is not None else None

    sections = []
    for pk, name, workflow in types:
        kind = "investigated" if investigates(workflow) else "counted for trends only"
        section = Section(case_type=name, kind=kind)
        columns = {
            "this": period.label,
            "before": before.label,
            "last_year": last_year.label,
        }
        measures = {
            "Received": lambda k, pk=pk: in_spans[k]["received"].get((pk,), 0),
            "Closed": lambda k, pk=pk: in_spans[k]["closed"].get((pk,), 0),
            "Open at the end": lambda k, pk=pk: in_spans[k]["open"].get((pk,), 0),
            "Reopened by the reporter's check-in": lambda k, pk=pk: in_spans[k]["reopened"].get(
                (pk,), 0
            ),
        }
        summary = publish(
            Table(
                f"{name}: cases this period, the one before and a year earlier",
                list(measures),
                list(columns.values()),
                [[measures[r](k) for k in columns] for r in measures],
            ),
            the_rule,
            totals=False,
        )
        section.views.append(View("summary", summary.title, summary, "columns", totals=False))
        labels = ("received", "closed", "open at the end", "reopened by the reporter's check-in")
        for row, label in zip(summary.rows, labels, strict=True):
            this, prev, year = summary.cells[summary.rows.index(row)]
            section.sentences.append(
                f"Cases {label}: {change_words(prev, this)} on {before.label}; "
                f"{number_words(year)} in {last_year.label}."
            )
        section.views[-1].finding = section.sentences[0]

        months = period.months()
        cats = sorted(
            {k[2] for k in by_category if k[0] == pk},
            key=lambda c: (c is None, categories.get(c, "")),
        )
        cat_labels = {c: categories.get(c, "Not categorised") for c in cats}
        month_labels = {m: f"{calendar.month_abbr[m.month]} {m.year}" for m in months}
        view = publish(
            Table(
                f"{name}: cases received by category and month",
                [cat_labels[c] for c in cats],
                [month_labels[m] for m in months],
                [[by_category.get((pk, m, c), 0) for m in months] for c in cats],
            ),
            the_rule,
        )
        section.views.append(
            View("category", view.title, view, "bars", finding=_largest(view, "category"))
        )

        stages = sorted({k[1] for k in by_stage if k[0] == pk})
        view = publish(
            Table(
                f"{name}: where the cases received are now",
                [registry.state_label(workflow, s) for s in stages],
                ["Cases"],
                [[by_stage[(pk, s)]] for s in stages],
            ),
            the_rule,
            totals=False,
        )
        section.views.append(
            View("stage", view.title, view, "bars", finding=_largest(view, "stage"), totals=False)
        )

        # Named by the administrators' labels, retired outcomes too, in their order; a code
        # no row names by itself, and no outcome last.
        codes = {k[1] for k in by_outcome if k[0] == pk}
        known = {code: outcome_name.get((pk, code)) for code in codes}
        outcomes = sorted(codes, key=lambda c: (not c, known[c] is None, *_order(known[c]), c))
        view = publish(
            Table(
                f"{name}: outcomes of the cases closed",
                [_outcome_words(c, known[c]) for c in outcomes],
                ["Cases"],
                [[by_outcome[(pk, o)]] for o in outcomes],
            ),
            the_rule,
            totals=False,
        )
        section.views.append(
            View("outcome", view.title, view, "bars", _largest(view, "outcome"), totals=False)
        )
        if outcomes and investigates(workflow):
            section.views.append(_substantiated(name, pk, by_outcome, known, the_rule))

        unit_counts: dict[str, int] = defaultdict(int)
        for key, n in by_unit.items():
            if key[0] == pk:
                unit_counts[units.get(key[1], "No unit recorded")] += n
        mapping = merge_small(unit_counts, the_rule)
        unit_rows = grouped(sorted(unit_counts), mapping)
        merged: dict[tuple[str, bool], int] = defaultdict(int)
        for key, n in by_unit.items():
            if key[0] == pk:
                merged[(mapping[units.get(key[1], "No unit recorded")], key[2])] += n
        view = publish(
            Table(
                f"{name}: cases received by unit, anonymous or named",
                unit_rows,
                ["Anonymous", "Named"],
                [[merged[(u, False)], merged[(u, True)]] for u in unit_rows],
            ),
            the_rule,
        )
        section.views.append(View("unit", view.title, view, "bars", _largest(view, "unit")))

        section.views.append(_timeliness(name, to_acknowledge.get(pk), to_close.get(pk), the_rule))

        kinds = [k for k in ClockKind if any(key[0] == pk and key[2] == k for key in clocks)]
        view = publish(
            Table(
                f"{name}: statutory deadlines met and missed",
                [str(k.label) for k in kinds],
                ["Met", "Missed"],
                [list(clocks.get((pk, period.start, k.value), (0, 0))) for k in kinds],
            ),
            the_rule,
        )
        section.views.append(View("clocks", view.title, view, "bars", _clock_finding(view)))

        if organisation is not None and unit_name:
            org_cats = sorted(
                {k[1] for k in organisation if k[0] == pk},
                key=lambda c: (c is None, categories.get(c, "")),
            )
            unit_total = {c: sum(by_category.get((pk, m, c), 0) for m in months) for c in org_cats}
            view = publish(
                Table(
                    f"{name}: {unit_name} against the whole organisation, by category",
                    [categories.get(c, "Not categorised") for c in org_cats],
                    [unit_name, "Whole organisation"],
                    [[unit_total[c], organisation[(pk, c)]] for c in org_cats],
                ),
                the_rule,
            )
            section.views.append(
                View("benchmark", view.title, view, "bars", _benchmark_finding(view), totals=False)
            )
        sections.append(section)

    side = None
    if len(types) > 1:
        view = publish(
            Table(
                "Case types side by side (never added together)",
                [
                    f"{name} ({'investigated' if investigates(wf) else 'trends only'})"
                    for _, name, wf in types
                ],
                ["Received", "Closed"],
                [
                    [
                        in_spans["this"]["received"].get((pk,), 0),
                        in_spans["this"]["closed"].get((pk,), 0),
                    ]
                    for pk, _, _ in types
                ],
            ),
            the_rule,
            totals=False,
        )
        side = View("types", view.title, view, "bars", _largest(view, "case type"), totals=False)

    monitoring = []
    if unit_id is None and set(ids) == {pk for pk, _, _ in every}:
        for table in monitoring_tables(period.start, period.end, the_rule):
            monitoring.append(
                View("monitoring", table.title, table, "bars", _largest(table, "answer"), False)
            )
    return Report(
        period=period,
        unit=unit_name,
        rule_words=the_rule.words,
        produced_on=timezone.localdate(),
        sections=sections,
        side_by_side=side,
        monitoring=monitoring,
    )


def _order(known: OutcomeName | None) -> tuple[int, str]:
    return (known.position, known.label) if known else (0, "")


def _outcome_words(code: str, known: OutcomeName | None) -> str:
    if not code:
        return NO_OUTCOME
    return known.label if known else code


def _substantiated(
    name: str,
    pk: int,
    by_outcome: dict[tuple[Any, ...], int],
    known: dict[str, OutcomeName | None],
    the_rule: Rule,
) -> View:
    """The cases closed, by whether their outcome counts as substantiated (the outcomes'
    own setting, retired ones included)."""
    rows = ["Substantiated", "Not substantiated", NO_OUTCOME]
    counts = dict.fromkeys(rows, 0)
    for code, found in known.items():
        row = NO_OUTCOME if not code else rows[0] if found and found.substantiated else rows[1]
        counts[row] += by_outcome[(pk, code)]
    view = publish(
        Table(
            f"{name}: cases closed, substantiated or not",
            rows,
            ["Cases"],
            [[counts[row]] for row in rows],
        ),
        the_rule,
        totals=False,
    )
    shown = view.cells[0][0]
    finding = (
        f"About {shown} of the cases closed were substantiated, in whole or in part."
        if shown is not None
        else "Too few cases closed to show how many were substantiated."
    )
    return View("substantiated", view.title, view, "bars", finding, totals=False)


def _timeliness(
    name: str,
    acknowledge: tuple[int, float | None, float | None] | None,
    close: tuple[int, float | None, float | None] | None,
    the_rule: Rule,
) -> View:
    """Medians are shown only where enough cases stand behind them (the threshold)."""
    rows: list[str] = []
    cells: list[list[Any]] = []
    for label, found in (("Days to acknowledge", acknowledge), ("Days to close", close)):
        n, p50, p90 = found or (0, None, None)
        rows.append(label)
        if n < the_rule.threshold:
            cells.append([None, None, None])
        else:
            cells.append([publish(Table("", [""], [""], [[n]]), the_rule).total, p50, p90])
    table = Published(
        title=f"{name}: how long it took (median and 90th percentile, in days)",
        rows=rows,
        columns=["Cases", "Median", "90th percentile"],
        cells=[[_days(v) if i else v for i, v in enumerate(row)] for row in cells],
        row_totals=[None, None],
        column_totals=[None, None, None],
        total=None,
    )
    finding = ""
    if cells[1][1] is not None:
        finding = f"Half the cases closed took {_days(cells[1][1])} days or less."
    return View("timeliness", table.title, table, "none", finding, False, "days")


def _days(value: Any) -> Any:
    return None if value is None else round(float(value), 1)


def _largest(view: Published, what: str) -> str:
    shown = [
        (total, row)
        for row, total in zip(view.rows, view.row_totals, strict=True)
        if total is not None and row != OTHER
    ]
    if not shown:
        shown = [
            (v, row)
            for row, cells in zip(view.rows, view.cells, strict=True)
            for v in cells[:1]
            if v is not None
        ]
    if not shown:
        return "Too few cases to show."
    total, row = max(shown)
    return f"The largest {what} is {row}, with about {total} cases."


def _clock_finding(view: Published) -> str:
    met, missed = view.column_totals
    if met is None or missed is None:
        return "Too few deadlines fell in the period to show how many were met."
    return f"About {met} deadlines were met and {missed} missed."


def _benchmark_finding(view: Published) -> str:
    unit, whole = view.column_totals
    if unit is None or whole is None:
        return "Too few cases to compare the unit with the organisation."
    return f"{view.columns[0]} received about {unit} of the organisation's {whole} cases."
