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

from django.db import connection
from django.db.models import Model

from reports.aggregates import (
    Dim,
    Grain,
    Percentiles,
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
_GRAINS = ("month", "quarter", "year")


def _whole_months(scope: Scope) -> None:
    if scope.start.day != 1 or scope.end.day != 1:
        raise ValueError("The rollups count whole months: a span starts on a month's first day.")


def _fetch(
    table: str,
    scope: Scope,
    columns: Sequence[str],
    sums: Sequence[str],
    params: Sequence[Any] = (),
    *,
    months: bool = True,
) -> list[tuple[Any, ...]]:
    """``SELECT columns, sums FROM table`` for the scope's case types (and unit) and, with
    ``months``, its months, grouped by ``columns``; ``params`` are the sums'. Plain SQL over a few
    thousand rows: the ORM's building and row handling would cost more than the reading.
    Table and column names come from this module; every value is a parameter."""
    where = [f"case_type_id IN ({', '.join(['%s'] * len(scope.case_type_ids))})"]
    args = [*params, *scope.case_type_ids]
    if scope.unit_id is not None:
        where.append("unit_id = %s")
        args.append(scope.unit_id)
    if months:
        where.append("month >= %s AND month < %s")
        args += [scope.start, scope.end]
    sql = (
        f"SELECT {', '.join([*columns, *sums])} FROM {table} "  # noqa: S608
        f"WHERE {' AND '.join(where)} GROUP BY {', '.join(columns)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return list(cursor.fetchall())


def _day(value: Any) -> dt.date:
    if isinstance(value, str):  # SQLite
        return dt.date.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value


def _period_start(month: dt.date, grain: str) -> dt.date:
    if grain == "year":
        return dt.date(month.year, 1, 1)
    if grain == "quarter":
        return dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
    return month


def received_counts(scope: Scope, by: Sequence[Dim]) -> dict[tuple[Any, ...], int]:
    """Cases received in the scope's months by case type and the dimensions ``by`` (month,
    quarter or year received, category, unit, stage, or named): as
    ``aggregates.case_counts(scope, "received", by)``. One query."""
    _whole_months(scope)
    plain = [d for d in by if d not in _GRAINS]
    if set(plain) <= {"category", "unit", "stage"}:
        table = "reports_receivedrollup"
    elif set(plain) <= {"unit", "named"}:
        table = "reports_namedrollup"
    else:
        raise ValueError(f"No rollup counts cases received by {sorted(plain)}.")
    if not scope.case_type_ids:
        return {}
    columns = ["case_type_id"] + ["month" if d in _GRAINS else _COLUMNS[d] for d in by]
    found: dict[tuple[Any, ...], int] = defaultdict(int)
    for type_id, *values, n in _fetch(table, scope, columns, ["SUM(n)"]):
        key = [type_id]
        for dim, value in zip(by, values, strict=True):
            if dim in _GRAINS:
                key.append(_period_start(_day(value), dim))
            elif dim == "named":
                key.append(bool(value))
            else:
                key.append(None if dim in _NONE_AS_ZERO and value == 0 else value)
        found[tuple(key)] += n
    return {key: n for key, n in found.items() if n}


def span_counts(
    scopes: dict[str, Scope],
) -> dict[str, dict[SpanMeasure, dict[tuple[Any, ...], int]]]:
    """As ``aggregates.span_counts``: per span, the cases received, closed, open at its end
    and reopened by the reporter's check-in, by case type, and those closed by outcome. One
    query for every span (they share their case types and unit)."""
    if not scopes:
        return {}
    first = next(iter(scopes.values()))
    if not first.case_type_ids:
        return span_result(scopes, [])
    sums: list[str] = []
    names: list[str] = []
    params: list[Any] = []
    for i, s in enumerate(scopes.values()):
        _whole_months(s)
        sums += [
            "SUM(CASE WHEN received >= %s AND received < %s THEN n ELSE 0 END)",
            "SUM(CASE WHEN closed >= %s AND closed < %s THEN n ELSE 0 END)",
            # Not closed is NEVER, after every span's end.
            "SUM(CASE WHEN received < %s AND closed >= %s THEN n ELSE 0 END)",
            "SUM(CASE WHEN reopened >= %s AND reopened < %s THEN n ELSE 0 END)",
        ]
        names += [f"r{i}", f"c{i}", f"o{i}", f"x{i}"]
        params += [s.start, s.end, s.start, s.end, s.end, s.end, s.start, s.end]
    columns = ["case_type_id", "outcome"]
    rows = _fetch("reports_spanrollup", first, columns, sums, params, months=False)
    return span_result(scopes, [dict(zip(columns + names, row, strict=True)) for row in rows])


def durations(scope: Scope) -> dict[Literal["acknowledge", "close"], Percentiles]:
    """Days to acknowledge and to close, as ``aggregates.durations`` gives each:
    ``{"close": {case_type_id: (count, median, 90th percentile)}, "acknowledge": ...}``.
    One query for both."""
    _whole_months(scope)
    found: dict[Literal["acknowledge", "close"], Percentiles] = {"acknowledge": {}, "close": {}}
    if not scope.case_type_ids:
        return found
    columns = ["measure", "case_type_id", "days"]
    histograms: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for measure, type_id, days, n in _fetch("reports_daysrollup", scope, columns, ["SUM(n)"]):
        if n:
            histograms[measure, type_id].append((days, n))
    for (measure, type_id), counts in histograms.items():
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
    if not scope.case_type_ids:
        return {}
    columns = ["case_type_id", "month", "kind", "met"]
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for type_id, month, kind, met, n in _fetch("reports_clockrollup", scope, columns, ["SUM(n)"]):
        counts[type_id, _period_start(_day(month), grain), kind][0 if met else 1] += n
    return {key: (met, missed) for key, (met, missed) in counts.items() if met or missed}


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
