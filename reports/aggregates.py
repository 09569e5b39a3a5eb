"""Counts over case rows in SQL: the only module of ``reports/`` that reads ``Case`` directly.

Every function here is one GROUP BY over the case table (or the clock table joined to it) and
returns numbers keyed by identifiers; no case row ever reaches Python, nothing is decrypted, and
no column that holds content, a reference, a token or an exact time is selected. Cases that
retention has purged stay as rows (type, category, unit, days received and closed, outcome,
clocks), so they are counted like any other.

Case types are never silently mixed: every result is keyed by case type first, and callers
either report one type or show types side by side.

Why here and not behind the gate: the gate (``permissions/access.py``) decides who may see a
case; these functions show no case at all, only counts, and every count they publish goes
through ``reports.disclosure`` first. ``tests/test_architecture.py`` names this one file as
the exception to "only cases/ and permissions/ query cases" (decision 0022).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db import connection
from django.db.models import BooleanField, Count, DateField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from cases.functions import DaysBetween
from cases.models import Case
from workflows import registry
from workflows.models import Clock
from workflows.spec import ClockKind

Dim = Literal["category", "unit", "stage", "outcome", "named", "month", "quarter", "year"]
Measure = Literal["received", "closed"]
Grain = Literal["month", "quarter", "year"]

_COLUMNS: dict[str, str] = {
    "category": "category_id",
    "unit": "org_unit_id",
    "stage": "state",
    "outcome": "outcome",
    "named": "reporter_named",
}
_TRUNC = ("month", "quarter", "year")


@dataclass(frozen=True)
class Scope:
    """Which cases a report counts: days ``start`` (inclusive) to ``end`` (exclusive), one or
    more case types (each kept apart), and optionally one organisational unit."""

    start: dt.date
    end: dt.date
    case_type_ids: tuple[int, ...]
    unit_id: int | None = None

    def shifted(self, start: dt.date, end: dt.date) -> Scope:
        return Scope(start, end, self.case_type_ids, self.unit_id)


class PeriodStart(Func):
    """The first day of a date's month, quarter or year, with each database's own date
    functions: Django's ``TruncMonth`` on SQLite calls back into Python for every row, which
    made a year's report a third slower there than plain SQL (benchmark B2)."""

    output_field = DateField()
    arity = 1

    def __init__(self, expression: Any, *, grain: str) -> None:
        if grain not in _TRUNC:
            raise ValueError(grain)
        self.grain = grain
        super().__init__(expression)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(date_trunc('{self.grain}', {sql}) AS date)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        if self.grain == "quarter":
            # Months back to the quarter's first: (month - 1) mod 3, without a "%" (Django
            # formats the SQL with its parameters when it logs the query).
            month = f"(CAST(substr({sql}, 6, 2) AS INTEGER) - 1)"
            back = f"('-' || ({month} - 3 * ({month} / 3)) || ' months')"
            return f"date({sql}, 'start of month', {back})", (*params, *params, *params)
        return f"date({sql}, 'start of {self.grain}')", params


def _cases(scope: Scope) -> QuerySet[Case]:
    cases = Case.objects.filter(case_type_id__in=scope.case_type_ids)
    if scope.unit_id is not None:
        cases = cases.filter(org_unit_id=scope.unit_id)
    return cases


def _grouped(cases: QuerySet[Case], date_field: str, by: Sequence[Dim]) -> QuerySet[Any]:
    names: dict[str, Any] = {"k_type": F("case_type_id")}
    for dim in by:
        if dim in _TRUNC:
            names[f"k_{dim}"] = PeriodStart(date_field, grain=dim)
        else:
            names[f"k_{dim}"] = F(_COLUMNS[dim])
    grouped: QuerySet[Any] = cases.order_by().annotate(**names).values(*names)
    return grouped


def _key(row: dict[str, Any], by: Sequence[Dim]) -> tuple[Any, ...]:
    values: list[Any] = [row["k_type"]]
    for dim in by:
        value = row[f"k_{dim}"]
        if isinstance(value, dt.datetime):
            value = value.date()
        values.append(value)
    return tuple(values)


def case_counts(scope: Scope, measure: Measure, by: Sequence[Dim]) -> dict[tuple[Any, ...], int]:
    """Cases received (or closed) in the scope's days, one count per case type and value of
    each dimension in ``by``: ``{(case_type_id, *values): count}``. One query."""
    field = "received_on" if measure == "received" else "closed_on"
    cases = _cases(scope).filter(**{f"{field}__gte": scope.start, f"{field}__lt": scope.end})
    rows = _grouped(cases, field, by).annotate(n=Count("id"))
    return {_key(row, by): row["n"] for row in rows}


SpanMeasure = Literal["received", "closed", "open", "reopened", "outcome"]
_SPAN_MEASURES: dict[str, SpanMeasure] = {
    "r": "received",
    "c": "closed",
    "o": "open",
    "x": "reopened",
}


def span_counts(
    scopes: dict[str, Scope],
) -> dict[str, dict[SpanMeasure, dict[tuple[Any, ...], int]]]:
    """Per span name: the cases received in the span's days, closed in them, still open at
    its end (received before it, not closed by it) and marked by the reporter's check-in after
    closure as treated worse since (``Case.reopened_by_checkin_on``, which the anonymous stub
    keeps), each keyed ``(case_type_id,)``; and the cases closed in it by outcome, keyed
    ``(case_type_id, outcome)``. Counts of zero are left out.

    One query, one pass over the case rows, for every span and measure: the spans share their
    case types and unit (a report asks for three spans)."""
    if not scopes:
        return {}
    first = next(iter(scopes.values()))
    counts: dict[str, Count] = {}
    for i, s in enumerate(scopes.values()):
        counts[f"r{i}"] = Count("id", filter=Q(received_on__gte=s.start, received_on__lt=s.end))
        counts[f"c{i}"] = Count("id", filter=Q(closed_on__gte=s.start, closed_on__lt=s.end))
        counts[f"o{i}"] = Count(
            "id",
            filter=Q(received_on__lt=s.end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=s.end)),
        )
        counts[f"x{i}"] = Count(
            "id", filter=Q(reopened_by_checkin_on__gte=s.start, reopened_by_checkin_on__lt=s.end)
        )
    rows: QuerySet[Any] = (
        _cases(first).order_by().values("case_type_id", "outcome").annotate(**counts)
    )
    return span_result(scopes, rows)


def span_result(
    scopes: dict[str, Scope], rows: Iterable[dict[str, Any]]
) -> dict[str, dict[SpanMeasure, dict[tuple[Any, ...], int]]]:
    """``span_counts``' result from rows per case type and outcome holding ``r<i>``, ``c<i>``,
    ``o<i>`` and ``x<i>``: span ``i``'s received, closed, open and reopened (``None``: 0)."""
    result: dict[str, dict[SpanMeasure, dict[tuple[Any, ...], int]]] = {
        name: {m: {} for m in (*_SPAN_MEASURES.values(), "outcome")} for name in scopes
    }
    for row in rows:
        kind = row["case_type_id"]
        for i, name in enumerate(scopes):
            for letter, measure in _SPAN_MEASURES.items():
                if n := row[f"{letter}{i}"]:
                    found = result[name][measure]
                    found[(kind,)] = found.get((kind,), 0) + n
            if n := row[f"c{i}"]:
                result[name]["outcome"][(kind, row["outcome"])] = n
    return result


# --- Medians and 90th percentiles -----------------------------------------------------------

Percentiles = dict[int, tuple[int, float | None, float | None]]


def _duration_rows(scope: Scope, kind: Literal["acknowledge", "close"]) -> QuerySet[Any]:
    if kind == "close":
        cases = _cases(scope).filter(closed_on__gte=scope.start, closed_on__lt=scope.end)
        return (
            cases.order_by()
            .annotate(
                g=F("case_type_id"),
                # A purged case's stub keeps the days, its dates only their months.
                v=Coalesce("days_to_close", DaysBetween("received_on", "closed_on")),
            )
            .values("g", "v")
        )
    clocks = Clock.objects.filter(
        kind=ClockKind.ACKNOWLEDGE,
        case__case_type_id__in=scope.case_type_ids,
        stopped_on__gte=scope.start,
        stopped_on__lt=scope.end,
    )
    if scope.unit_id is not None:
        clocks = clocks.filter(case__org_unit_id=scope.unit_id)
    return (
        clocks.order_by()
        .annotate(
            g=F("case__case_type_id"),
            v=Coalesce("days_taken", DaysBetween("started_on", "stopped_on")),
        )
        .values("g", "v")
    )


def _portable_percentile(percent: int) -> str:
    # percentile_cont by hand: the value at 0-based position h = (n - 1) * p, interpolated
    # between its neighbours. Integer arithmetic for the position, so no float rounding can
    # pick the wrong row; the same on SQLite and PostgreSQL.
    lo = f"(((n - 1) * {percent}) / 100 + 1)"
    frac = f"(((n - 1) * {percent} - (((n - 1) * {percent}) / 100) * 100) / 100.0)"
    return (
        f"SUM(CASE WHEN rn = {lo} THEN v * (1 - {frac}) "
        f"WHEN rn = {lo} + 1 THEN v * {frac} ELSE 0 END)"
    )


def _percentile_sql(inner: str, *, portable: bool) -> str:
    # ``inner`` is SQL that Django compiled with placeholders (its values travel as
    # parameters) and the percentages are constants: nothing from a request is pasted in.
    if connection.vendor == "postgresql" and not portable:
        return (
            "SELECT g, COUNT(*), "  # noqa: S608
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY v), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY v) "
            f"FROM ({inner}) AS t GROUP BY g"
        )
    ranked = (
        "SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, "  # noqa: S608
        f"COUNT(*) OVER (PARTITION BY g) AS n FROM ({inner}) AS t"
    )
    return (
        f"SELECT g, MAX(n), {_portable_percentile(50)}, {_portable_percentile(90)} "  # noqa: S608
        f"FROM ({ranked}) AS r GROUP BY g"
    )


def durations(
    scope: Scope, kind: Literal["acknowledge", "close"], *, portable: bool = False
) -> Percentiles:
    """Days to acknowledge (acknowledgement clocks stopped in the scope) or to close (cases
    closed in it), per case type: ``{case_type_id: (count, median, 90th percentile)}``.

    PostgreSQL computes ``percentile_cont``; SQLite (or ``portable=True``) the same figure
    with window functions. One query."""
    if not scope.case_type_ids:
        return {}  # no case type: nothing to ask (and no SQL Django would compile)
    inner, params = _duration_rows(scope, kind).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_percentile_sql(inner, portable=portable), params)
        rows = cursor.fetchall()
    return {
        int(g): (int(n), None if p50 is None else float(p50), None if p90 is None else float(p90))
        for g, n, p50, p90 in rows
    }


# --- Statutory clocks ----------------------------------------------------------------------


def clock_compliance(scope: Scope, grain: Grain) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Statutory deadlines met and missed, by case type, the period of their due day and kind:
    ``{(case_type_id, period_start, kind): (met, missed)}``. A clock counts once it is
    decided: stopped (met or not) or recorded as missed while still running. One query."""
    clocks = Clock.objects.filter(
        case__case_type_id__in=scope.case_type_ids,
        due_on__gte=scope.start,
        due_on__lt=scope.end,
    ).filter(Q(met__isnull=False) | Q(missed_recorded=True))
    if scope.unit_id is not None:
        clocks = clocks.filter(case__org_unit_id=scope.unit_id)
    rows = (
        clocks.order_by()
        .annotate(k_type=F("case__case_type_id"), k_period=PeriodStart("due_on", grain=grain))
        .values("k_type", "k_period", "kind")
        .annotate(n_met=Count("id", filter=Q(met=True)), n_missed=Count("id", filter=~Q(met=True)))
    )
    result: dict[tuple[Any, ...], tuple[int, int]] = {}
    for row in rows:
        period = row["k_period"]
        if isinstance(period, dt.datetime):
            period = period.date()
        result[(row["k_type"], period, row["kind"])] = (row["n_met"], row["n_missed"])
    return result


def investigates(workflow: str) -> bool:
    """Whether a case type's workflow investigates (``False``: counted for trends only)."""
    return registry.spec_of(workflow).investigates


# --- What the rollups should hold -----------------------------------------------------------
# The rollups (``reports.models``) are kept by database triggers (reports migration 0003).
# Here is what each should hold, stated again as plain GROUP BYs over the rows: what
# ``manage.py report_rollups`` and the tests compare the triggers' work against, and what a
# rebuild writes. Keyed like the rollup's own columns, in their order, with ``n`` last.

ROLLUP_NEVER = dt.date(9999, 12, 1)  # reports.models.NEVER: not closed, not reopened


def _month(field: str) -> PeriodStart:
    return PeriodStart(field, grain="month")


def _never(field: str) -> Coalesce:
    return Coalesce(_month(field), Value(ROLLUP_NEVER), output_field=DateField())


def rollup_sources() -> list[tuple[str, QuerySet[Any]]]:
    """Per rollup table, the queries of its rows (its key columns in order, then ``n``): one
    each, and two for ``reports_daysrollup`` (days to close, days to acknowledge)."""
    cases = Case.objects.order_by()
    unit = Coalesce("org_unit_id", 0)
    clocks = Clock.objects.order_by()
    case_unit = Coalesce("case__org_unit_id", 0)
    closed = cases.filter(closed_on__isnull=False)
    acknowledged = clocks.filter(kind=ClockKind.ACKNOWLEDGE, stopped_on__isnull=False)
    decided = clocks.filter(Q(met__isnull=False) | Q(missed_recorded=True))
    shapes: list[tuple[str, QuerySet[Any], dict[str, Any]]] = [
        (
            "reports_receivedrollup",
            cases,
            {
                "k_type": F("case_type_id"),
                "k_unit": unit,
                "k_month": _month("received_on"),
                "k_category": Coalesce("category_id", 0),
                "k_state": F("state"),
            },
        ),
        (
            "reports_namedrollup",
            cases,
            {
                "k_type": F("case_type_id"),
                "k_unit": unit,
                "k_month": _month("received_on"),
                "k_named": F("reporter_named"),
            },
        ),
        (
            "reports_spanrollup",
            cases,
            {
                "k_type": F("case_type_id"),
                "k_unit": unit,
                "k_received": _month("received_on"),
                "k_closed": _never("closed_on"),
                "k_outcome": F("outcome"),
                "k_reopened": _never("reopened_by_checkin_on"),
            },
        ),
        (
            "reports_daysrollup",
            closed,
            {
                "k_type": F("case_type_id"),
                "k_unit": unit,
                "k_measure": Value("close"),
                "k_month": _month("closed_on"),
                "k_days": Coalesce("days_to_close", DaysBetween("received_on", "closed_on")),
            },
        ),
        (
            "reports_daysrollup",
            acknowledged,
            {
                "k_type": F("case__case_type_id"),
                "k_unit": case_unit,
                "k_measure": Value("acknowledge"),
                "k_month": _month("stopped_on"),
                "k_days": Coalesce("days_taken", DaysBetween("started_on", "stopped_on")),
            },
        ),
        (
            "reports_clockrollup",
            decided,
            {
                "k_type": F("case__case_type_id"),
                "k_unit": case_unit,
                "k_month": _month("due_on"),
                "k_kind": F("kind"),
                "k_met": Coalesce("met", Value(False), output_field=BooleanField()),
            },
        ),
    ]
    return [
        (table, rows.annotate(**keys).values_list(*keys).annotate(n=Count("pk")))
        for table, rows, keys in shapes
    ]


def rollup_expected() -> dict[str, dict[tuple[Any, ...], int]]:
    """Each rollup table's rows as they should be: ``{table: {key: n}}``, no zero counts."""
    found: dict[str, dict[tuple[Any, ...], int]] = {}
    for name, rows in rollup_sources():
        table = found.setdefault(name, {})
        for row in rows:
            *key, n = row
            table[tuple(_plain(v) for v in key)] = n
    return found


def _plain(value: Any) -> Any:
    return value.date() if isinstance(value, dt.datetime) else value
