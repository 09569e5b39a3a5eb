"""Counts for the trend reports, read from the rollups instead of the case rows.

The rollups (``reports.models``) are counts per key that database triggers keep exact on
every write to a case or a clock (reports migration 0003; decision 0023). A report reads a
few hundred or thousand of their rows whatever the number of cases, where counting the cases
themselves reads every case of the period. Each function here answers exactly what its
namesake in ``reports.aggregates`` answers from the case rows (tests compare the two), for
spans of whole months, the only spans reports take (decision 0022). Medians and 90th
percentiles come from a count per number of days, interpolated as ``percentile_cont`` does.

``rollup_differences`` compares what the rollups hold with what ``reports.aggregates``
counts from the rows (``manage.py report_rollups``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Literal

from django.db.models import F, Model, Q, QuerySet, Sum

from reports.aggregates import (
    Dim,
    Grain,
    Percentiles,
    PeriodStart,
    Scope,
    SpanMeasure,
    rollup_expected,
    span_result,
)
from reports.models import ClockRollup, DaysRollup, NamedRollup, ReceivedRollup, SpanRollup

ROLLUPS: dict[str, type[Model]] = {
    model._meta.db_table: model
    for model in (ReceivedRollup, NamedRollup, SpanRollup, DaysRollup, ClockRollup)
}
_COLUMNS = {"category": "category_id", "unit": "unit_id", "stage": "state", "named": "named"}
_NONE_AS_ZERO = {"category", "unit"}  # 0 in the rollups stands for "none recorded"
_TRUNC = ("quarter", "year")


def _whole_months(scope: Scope) -> None:
    if scope.start.day != 1 or scope.end.day != 1:
        raise ValueError("The rollups count whole months: a span starts on a month's first day.")


def _rows(rollup: type[Model], scope: Scope) -> QuerySet[Any]:
    rows: QuerySet[Any] = rollup._default_manager.filter(case_type_id__in=scope.case_type_ids)
    if scope.unit_id is not None:
        rows = rows.filter(unit_id=scope.unit_id)
    return rows.order_by()


def received_counts(scope: Scope, by: Sequence[Dim]) -> dict[tuple[Any, ...], int]:
    """Cases received in the scope's months by case type and the dimensions ``by`` (month,
    quarter or year received, category, unit, stage, or named): as
    ``aggregates.case_counts(scope, "received", by)``. One query."""
    _whole_months(scope)
    plain = {d for d in by if d not in ("month", *_TRUNC)}
    if plain <= {"category", "unit", "stage"}:
        rollup: type[Model] = ReceivedRollup
    elif plain <= {"unit", "named"}:
        rollup = NamedRollup
    else:
        raise ValueError(f"No rollup counts cases received by {sorted(plain)}.")
    names: dict[str, Any] = {"k_type": F("case_type_id")}
    for dim in by:
        if dim == "month":
            names[f"k_{dim}"] = F("month")
        elif dim in _TRUNC:
            names[f"k_{dim}"] = PeriodStart("month", grain=dim)
        else:
            names[f"k_{dim}"] = F(_COLUMNS[dim])
    rows = (
        _rows(rollup, scope)
        .filter(month__gte=scope.start, month__lt=scope.end)
        .annotate(**names)
        .values(*names)
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
    )
    found = {}
    for row in rows:
        key = [row["k_type"]]
        for dim in by:
            value = row[f"k_{dim}"]
            if isinstance(value, dt.datetime):
                value = value.date()
            key.append(None if dim in _NONE_AS_ZERO and value == 0 else value)
        found[tuple(key)] = row["total"]
    return found


def span_counts(
    scopes: dict[str, Scope],
) -> dict[str, dict[SpanMeasure, dict[tuple[Any, ...], int]]]:
    """As ``aggregates.span_counts``: per span, the cases received, closed, open at its end
    and reopened by the reporter's check-in, by case type, and those closed by outcome. One
    query for every span (they share their case types and unit)."""
    if not scopes:
        return {}
    first = next(iter(scopes.values()))
    sums: dict[str, Sum] = {}
    for i, s in enumerate(scopes.values()):
        _whole_months(s)
        sums[f"r{i}"] = Sum("n", filter=Q(received__gte=s.start, received__lt=s.end))
        sums[f"c{i}"] = Sum("n", filter=Q(closed__gte=s.start, closed__lt=s.end))
        # Not closed is NEVER, after every span's end.
        sums[f"o{i}"] = Sum("n", filter=Q(received__lt=s.end, closed__gte=s.end))
        sums[f"x{i}"] = Sum("n", filter=Q(reopened__gte=s.start, reopened__lt=s.end))
    rows = _rows(SpanRollup, first).values("case_type_id", "outcome").annotate(**sums)
    return span_result(scopes, rows)


def durations(scope: Scope) -> dict[Literal["acknowledge", "close"], Percentiles]:
    """Days to acknowledge and to close, as ``aggregates.durations`` gives each:
    ``{"close": {case_type_id: (count, median, 90th percentile)}, "acknowledge": ...}``.
    One query for both."""
    _whole_months(scope)
    rows = (
        _rows(DaysRollup, scope)
        .filter(month__gte=scope.start, month__lt=scope.end)
        .values("measure", "case_type_id", "days")
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
    )
    histograms: dict[str, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        histograms[row["measure"]][row["case_type_id"]].append((row["days"], row["total"]))
    found: dict[Literal["acknowledge", "close"], Percentiles] = {"acknowledge": {}, "close": {}}
    for measure, per_type in histograms.items():
        for type_id, counts in per_type.items():
            counts.sort()
            total = sum(n for _, n in counts)
            found[measure][type_id] = (  # type: ignore[index]
                total,
                percentile(counts, total, 50),
                percentile(counts, total, 90),
            )
    return found


def percentile(counts: list[tuple[int, int]], total: int, percent: int) -> float:
    """``percentile_cont(percent / 100)`` of the values a histogram counts (sorted ``(value,
    count)`` pairs): the value at 0-based position (total - 1) * percent / 100 of the sorted
    values, interpolated between its neighbours, the position in exact arithmetic."""
    position = Fraction((total - 1) * percent, 100)
    low = int(position)
    below, above = _value_at(counts, low), _value_at(counts, min(low + 1, total - 1))
    return float(below + (above - below) * (position - low))


def _value_at(counts: list[tuple[int, int]], index: int) -> int:
    seen = 0
    for value, n in counts:
        seen += n
        if index < seen:
            return value
    raise IndexError(index)


def clock_compliance(scope: Scope, grain: Grain) -> dict[tuple[Any, ...], tuple[int, int]]:
    """As ``aggregates.clock_compliance``: statutory deadlines met and missed by case type,
    the period of their due day and kind. One query."""
    _whole_months(scope)
    rows = (
        _rows(ClockRollup, scope)
        .filter(month__gte=scope.start, month__lt=scope.end)
        .values("case_type_id", "month", "kind", "met")
        .annotate(total=Sum("n"))
    )
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = (row["case_type_id"], _period_start(row["month"], grain), row["kind"])
        counts[key][0 if row["met"] else 1] += row["total"]
    return {key: (met, missed) for key, (met, missed) in counts.items() if met or missed}


def _period_start(month: dt.date, grain: Grain) -> dt.date:
    if grain == "year":
        return dt.date(month.year, 1, 1)
    if grain == "quarter":
        return dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
    return month


# --- Checking the rollups against the rows --------------------------------------------------

Difference = tuple[tuple[Any, ...], int, int]  # key, held, expected


def rollup_held() -> dict[str, dict[tuple[Any, ...], int]]:
    """What each rollup table holds: ``{table: {key: n}}``, rows of zero left out."""
    held: dict[str, dict[tuple[Any, ...], int]] = {}
    for table, rollup in ROLLUPS.items():
        columns = [f.attname for f in rollup._meta.concrete_fields if f.attname != "n"]
        rows = rollup._default_manager.exclude(n=0).values_list(*columns, "n")
        held[table] = {tuple(key): n for *key, n in rows}
    return held


def rollup_differences() -> dict[str, list[Difference]]:
    """Every key whose count in a rollup differs from a plain GROUP BY over the rows, per
    table (empty lists when the rollups are exact). Read in one transaction on PostgreSQL's
    default isolation, so run it where nothing writes, or read it twice."""
    held, expected = rollup_held(), rollup_expected()
    found: dict[str, list[Difference]] = {}
    for table in ROLLUPS:
        mine, theirs = held.get(table, {}), expected.get(table, {})
        found[table] = sorted(
            (key, mine.get(key, 0), theirs.get(key, 0))
            for key in mine.keys() | theirs.keys()
            if mine.get(key, 0) != theirs.get(key, 0)
        )
    return found
