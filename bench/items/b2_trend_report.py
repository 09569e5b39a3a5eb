"""B2: a governance lead's trend report for twelve months (by month and category, by stage,
and the rest of the page), built as the page and the downloads build it, disclosure control
included, against plain SQL GROUP BYs giving the same counts from the case tables, and
against the same plain SQL over the rollups the report reads (decision 0023).

The report (``reports.selectors.report_build``) publishes, for each case type: received,
closed, open and reopened this year, the year before and a year earlier; received by month
and category; received by stage; closed by outcome; received by unit and named or not; the
days to acknowledge and to close (median and 90th percentile); deadlines met and missed. The
baseline reads the same numbers with the fewest plain GROUP BYs that give them (one per shape
of table) from ``cases_case`` and ``workflows_clock``, and interpolates the percentiles from a
count per number of days; it publishes nothing. The second baseline reads the same numbers
from the rollup tables with plain SQL (``rollup_counts``): the ratio against it is what the
report adds to reading its own tables. Before timing, the two baselines must give the same
counts, and every number the report shows in its summary, month-by-category, stage, outcome,
unit, timeliness and deadline tables is checked against them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection

from bench.data import TODAY
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.dbroles import connected_as_owner
from cases.models import CaseType, Category, OrganisationalUnit, OutcomeCode
from cases.outcomes import NO_OUTCOME
from reports.disclosure import OTHER, Rule, round_to_base
from reports.selectors import Period, Report, report_build
from workflows import registry
from workflows.spec import ClockKind

TARGET_SECONDS = 1.0
ROLLUP_TABLES = (
    "reports_spanrollup",
    "reports_receivedrollup",
    "reports_namedrollup",
    "reports_daysrollup",
    "reports_clockrollup",
)
RULE = Rule(5)

Counts = dict[str, dict[tuple[Any, ...], int]]


def _month(value: Any) -> dt.date:
    if isinstance(value, str):  # SQLite
        return dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


def raw_counts(period: Period, type_ids: list[int]) -> Counts:
    """Every count the report publishes, from plain SQL (one GROUP BY per shape of table)."""
    pg = connection.vendor == "postgresql"
    month = "date_trunc('month', received_on)" if pg else "date(received_on, 'start of month')"
    days = ("({b} - {a})" if pg else "CAST(julianday({b}) - julianday({a}) AS INTEGER)").format
    types = ", ".join(str(int(pk)) for pk in type_ids)
    spans = {"this": period, "before": period.previous(), "last_year": period.last_year()}
    sums, params = [], []
    for span in spans.values():
        s, e = span.start, span.end
        sums += [
            "SUM(CASE WHEN received_on >= %s AND received_on < %s THEN 1 ELSE 0 END)",
            "SUM(CASE WHEN closed_on >= %s AND closed_on < %s THEN 1 ELSE 0 END)",
            "SUM(CASE WHEN received_on < %s AND (closed_on IS NULL OR closed_on >= %s)"
            " THEN 1 ELSE 0 END)",
            "SUM(CASE WHEN reopened_by_checkin_on >= %s AND reopened_by_checkin_on < %s"
            " THEN 1 ELSE 0 END)",
        ]
        params += [s, e, s, e, e, e, s, e]
    counts: Counts = defaultdict(dict)
    start, end = period.start, period.end
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT case_type_id, outcome, {', '.join(sums)} FROM cases_case"  # noqa: S608
            f" WHERE case_type_id IN ({types}) GROUP BY case_type_id, outcome",
            params,
        )
        _span_rows(counts, list(spans), cursor.fetchall())
        cursor.execute(
            f"SELECT case_type_id, {month}, category_id, state, COUNT(*)"  # noqa: S608
            f" FROM cases_case WHERE case_type_id IN ({types})"
            " AND received_on >= %s AND received_on < %s GROUP BY 1, 2, 3, 4",
            [start, end],
        )
        for type_id, day, category, state, n in cursor.fetchall():
            cell = (type_id, _month(day), category)
            counts["category"][cell] = counts["category"].get(cell, 0) + n
            counts["stage"][type_id, state] = counts["stage"].get((type_id, state), 0) + n
        cursor.execute(
            "SELECT case_type_id, org_unit_id, reporter_named, COUNT(*)"  # noqa: S608
            f" FROM cases_case WHERE case_type_id IN ({types})"
            " AND received_on >= %s AND received_on < %s GROUP BY 1, 2, 3",
            [start, end],
        )
        counts["unit"] = {(t, u, bool(named)): n for t, u, named, n in cursor.fetchall()}
        cursor.execute(
            f"SELECT case_type_id, {days(a='received_on', b='closed_on')}, COUNT(*)"  # noqa: S608
            f" FROM cases_case WHERE case_type_id IN ({types})"
            " AND closed_on >= %s AND closed_on < %s GROUP BY 1, 2",
            [start, end],
        )
        counts["to_close"] = {(t, v): n for t, v, n in cursor.fetchall()}
        cursor.execute(
            "SELECT k.case_type_id, "  # noqa: S608
            f"{days(a='c.started_on', b='c.stopped_on')}, COUNT(*) FROM workflows_clock c"
            " JOIN cases_case k ON k.id = c.case_id"
            f" WHERE k.case_type_id IN ({types}) AND c.kind = 'acknowledge'"
            " AND c.stopped_on >= %s AND c.stopped_on < %s GROUP BY 1, 2",
            [start, end],
        )
        counts["to_acknowledge"] = {(t, v): n for t, v, n in cursor.fetchall()}
        cursor.execute(
            "SELECT k.case_type_id, c.kind, c.met, COUNT(*) FROM workflows_clock c"  # noqa: S608
            " JOIN cases_case k ON k.id = c.case_id"
            f" WHERE k.case_type_id IN ({types}) AND c.due_on >= %s AND c.due_on < %s"
            " AND (c.met IS NOT NULL OR c.missed_recorded) GROUP BY 1, 2, 3",
            [start, end],
        )
        counts["clocks"] = {(t, kind, bool(met)): n for t, kind, met, n in cursor.fetchall()}
    for name in ("to_close", "to_acknowledge"):
        counts[f"{name}_percentiles"] = _percentiles(counts[name])
    return counts


def rollup_counts(period: Period, type_ids: list[int]) -> Counts:
    """The same counts as ``raw_counts``, from the rollup tables with plain SQL: a sum per
    shape of table (five, the two durations sharing one table)."""
    types = ", ".join(str(int(pk)) for pk in type_ids)
    spans = {"this": period, "before": period.previous(), "last_year": period.last_year()}
    sums, params = [], []
    for span in spans.values():
        s, e = span.start, span.end
        sums += [
            "SUM(CASE WHEN received >= %s AND received < %s THEN n ELSE 0 END)",
            "SUM(CASE WHEN closed >= %s AND closed < %s THEN n ELSE 0 END)",
            "SUM(CASE WHEN received < %s AND closed >= %s THEN n ELSE 0 END)",
            "SUM(CASE WHEN reopened >= %s AND reopened < %s THEN n ELSE 0 END)",
        ]
        params += [s, e, s, e, e, e, s, e]
    counts: Counts = defaultdict(dict)
    start, end = period.start, period.end
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT case_type_id, outcome, {', '.join(sums)} FROM reports_spanrollup"  # noqa: S608
            f" WHERE case_type_id IN ({types}) GROUP BY case_type_id, outcome",
            params,
        )
        _span_rows(counts, list(spans), cursor.fetchall())
        cursor.execute(
            "SELECT case_type_id, month, category_id, state, SUM(n)"  # noqa: S608
            f" FROM reports_receivedrollup WHERE case_type_id IN ({types})"
            " AND month >= %s AND month < %s GROUP BY 1, 2, 3, 4",
            [start, end],
        )
        for type_id, day, category, state, n in cursor.fetchall():
            cell = (type_id, _month(day), category or None)
            counts["category"][cell] = counts["category"].get(cell, 0) + n
            counts["stage"][type_id, state] = counts["stage"].get((type_id, state), 0) + n
        cursor.execute(
            "SELECT case_type_id, unit_id, named, SUM(n) FROM reports_namedrollup"  # noqa: S608
            f" WHERE case_type_id IN ({types}) AND month >= %s AND month < %s GROUP BY 1, 2, 3",
            [start, end],
        )
        counts["unit"] = {(t, u or None, bool(named)): n for t, u, named, n in cursor.fetchall()}
        cursor.execute(
            "SELECT measure, case_type_id, days, SUM(n) FROM reports_daysrollup"  # noqa: S608
            f" WHERE case_type_id IN ({types}) AND month >= %s AND month < %s GROUP BY 1, 2, 3",
            [start, end],
        )
        for measure, t, v, n in cursor.fetchall():
            counts[f"to_{measure}"][t, v] = n
        cursor.execute(
            "SELECT case_type_id, kind, met, SUM(n) FROM reports_clockrollup"  # noqa: S608
            f" WHERE case_type_id IN ({types}) AND month >= %s AND month < %s GROUP BY 1, 2, 3",
            [start, end],
        )
        counts["clocks"] = {(t, kind, bool(met)): n for t, kind, met, n in cursor.fetchall()}
    for name in ("to_close", "to_acknowledge"):
        counts[f"{name}_percentiles"] = _percentiles(counts[name])
    return counts


def _span_rows(counts: Counts, spans: list[str], rows: list[tuple[Any, ...]]) -> None:
    measures = ("received", "closed", "open", "reopened")
    for type_id, outcome, *values in rows:
        for i, value in enumerate(values):
            name, measure = spans[i // 4], measures[i % 4]
            found = counts[measure]
            found[type_id, name] = found.get((type_id, name), 0) + int(value or 0)
        counts["outcome"][type_id, outcome] = int(values[1] or 0)


def _percentiles(histogram: dict[tuple[Any, ...], int]) -> dict[tuple[Any, ...], int]:
    """The median and 90th percentile per case type, interpolated between neighbours as
    ``percentile_cont`` does, from a count per value; in hundredths of a day."""
    values: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (type_id, value), n in histogram.items():
        values[type_id].append((value, n))
    found: dict[tuple[Any, ...], int] = {}
    for type_id, pairs in values.items():
        pairs.sort()
        total = sum(n for _, n in pairs)
        for percent in (50, 90):
            position = (total - 1) * percent / 100
            low, high = _at(pairs, int(position)), _at(pairs, min(int(position) + 1, total - 1))
            found[type_id, percent] = round(100 * (low + (high - low) * (position % 1)))
    return found


def _at(pairs: list[tuple[int, int]], index: int) -> int:
    seen = 0
    for value, n in pairs:
        seen += n
        if index < seen:
            return value
    raise IndexError(index)


def same_counts(one: Counts, other: Counts) -> bool:
    """Whether two sets of counts agree, counts of zero aside."""

    def nonzero(counts: Counts) -> dict[str, dict[tuple[Any, ...], int]]:
        return {k: {key: n for key, n in v.items() if n} for k, v in counts.items()}

    return nonzero(one) == nonzero(other)


def check_agreement(report: Report, counts: Counts, type_ids: list[int]) -> int:
    """Each count the report shows in its summary, month-by-category, stage, outcome, unit,
    timeliness and deadline tables is the baseline's count rounded to the nearest 5 (and not
    under the threshold; "Other units" the sum of the units not shown), and each median and
    90th percentile the baseline's to a tenth of a day. Returns how many were compared."""
    names = dict(CaseType.objects.filter(pk__in=type_ids).values_list("name", "pk"))
    workflows = dict(CaseType.objects.filter(pk__in=type_ids).values_list("pk", "workflow"))
    categories = {
        (type_id, name): pk
        for pk, type_id, name in Category.objects.values_list("pk", "case_type_id", "name")
    }
    units: dict[str, int | None] = dict(OrganisationalUnit.objects.values_list("name", "pk"))
    units["No unit recorded"] = None
    outcomes = {
        (type_id, label): code
        for type_id, code, label in OutcomeCode.objects.values_list("case_type_id", "code", "label")
    }
    kinds = {str(kind.label): kind.value for kind in ClockKind}
    months = {f"{m:%b %Y}": m for m in report.period.months()}
    spans = dict(
        zip(
            (report.period.label, report.period.previous().label, report.period.last_year().label),
            ("this", "before", "last_year"),
            strict=True,
        )
    )
    measures = dict(
        zip(
            ("Received", "Closed", "Open at the end", "Reopened by the reporter's check-in"),
            ("received", "closed", "open", "reopened"),
            strict=True,
        )
    )
    durations = {"Days to acknowledge": "to_acknowledge", "Days to close": "to_close"}
    compared = 0
    for section in report.sections:
        type_id = names[section.case_type]
        spec = registry.spec_of(workflows[type_id])
        stages = {str(s.staff): s.name for s in spec.states}
        for view in section.views:
            table = view.table
            shown_units = {units.get(row, -1) for row in table.rows if row != OTHER}
            for r, row in enumerate(table.rows):
                for c, column in enumerate(table.columns):
                    shown = table.cells[r][c]
                    if view.key == "timeliness":
                        histogram = counts[durations[row]]
                        n = sum(v for (t, _), v in histogram.items() if t == type_id)
                        if c == 0:
                            true = n
                        else:
                            if n >= RULE.threshold:
                                percent = 50 if column == "Median" else 90
                                hundredths = counts[f"{durations[row]}_percentiles"][
                                    type_id, percent
                                ]
                                if shown is None or abs(shown * 100 - hundredths) > 5 + 1e-6:
                                    raise AssertionError(
                                        f"B2 sides disagree: {view.title}, {row}, {column}: "
                                        f"report {shown}, SQL {hundredths / 100}"
                                    )
                            elif shown is not None:
                                raise AssertionError(f"B2: {view.title}, {row} shown from {n}")
                            compared += 1
                            continue
                    elif view.key == "summary":
                        true = counts[measures[row]].get((type_id, spans[column]), 0)
                    elif view.key == "category":
                        category = categories.get((type_id, row))  # None: not categorised
                        true = counts["category"].get((type_id, months[column], category), 0)
                    elif view.key == "stage":
                        true = counts["stage"].get((type_id, stages[row]), 0)
                    elif view.key == "outcome":
                        code = outcomes.get((type_id, row), "" if row == NO_OUTCOME else row)
                        true = counts["outcome"].get((type_id, code), 0)
                    elif view.key == "unit":
                        named = column == "Named"
                        true = sum(
                            n
                            for (t, unit, is_named), n in counts["unit"].items()
                            if t == type_id
                            and is_named == named
                            and (
                                unit == units.get(row, -1)
                                or (row == OTHER and unit not in shown_units)
                            )
                        )
                    elif view.key == "clocks":
                        met = column == "Met"
                        true = counts["clocks"].get((type_id, kinds[row], met), 0)
                    else:
                        continue
                    if shown is None:
                        if true >= RULE.threshold:
                            continue  # hidden to protect a small one beside it
                    elif true < RULE.threshold or shown != round_to_base(true):
                        raise AssertionError(
                            f"B2 sides disagree: {view.title}, {row}, {column}: "
                            f"report {shown}, SQL {true}"
                        )
                    compared += 1
    return compared


def measure(context: Context, rounds: int) -> Measurement:
    type_ids = list(CaseType.objects.order_by("pk").values_list("pk", flat=True))
    # The last twelve whole months the data covers (it runs up to the generator's today).
    period = Period.latest_complete("year", TODAY)

    def build(_: Any) -> Report:
        return report_build(period=period, case_type_ids=type_ids, the_rule=RULE)

    def raw(_: Any) -> Counts:
        return raw_counts(period, type_ids)

    def raw_rollups(_: Any) -> Counts:
        return rollup_counts(period, type_ids)

    # Fresh bulk rows have no planner statistics yet, and the rollups hold the old versions of
    # rows their triggers updated (autovacuum gets to both later): every side is planned from
    # the same statistics and reads tables vacuumed. Only the owner of the tables may.
    with connected_as_owner() as owner, owner.cursor() as cursor:
        for table in ("cases_case", "workflows_clock", *ROLLUP_TABLES):
            vacuum = "VACUUM " if owner.vendor == "postgresql" and table in ROLLUP_TABLES else ""
            cursor.execute(f"{vacuum}ANALYZE {table}")
    counts = raw(None)
    if not same_counts(counts, raw_rollups(None)):
        raise AssertionError("B2: the rollups' plain SQL and the cases' disagree")
    compared = check_agreement(build(None), counts, type_ids)
    if compared == 0:
        raise AssertionError("B2 compared no number: the report showed nothing")
    title = (
        f"trend report, 12 months by category and stage with suppression ({context.scale:,} cases)"
    )
    target = f"≤1.2x, under {TARGET_SECONDS:g} s"
    result = compare(
        item="B2",
        title=title,
        target=target,
        max_ratio=1.2,
        a=Side("report", build),
        b=Side("raw", raw),
        rounds=rounds,
    )
    # The same report against the same plain SQL over the rollups it reads.
    own = compare(
        item="B2",
        title=title,
        target=target,
        max_ratio=1.2,
        a=Side("report", build),
        b=Side("raw rollups", raw_rollups),
        rounds=rounds,
    )
    low, high = own.spread
    seconds = result.a_median
    words = f"{seconds:.2f} s, {'under' if seconds < TARGET_SECONDS else 'over'} 1 s"
    rollup_words = (
        f"against the same SQL over the rollups {own.ratio:.2f}x ({low:.2f} to {high:.2f}), "
        f"{own.a_median * 1000:.1f} ms to {own.b_median * 1000:.1f} ms, "
        f"{own.b_queries} queries, {compared} numbers checked"
    )
    return dataclasses.replace(
        result,
        extra={
            "time": (seconds < TARGET_SECONDS, words),
            "rollups": (own.ratio <= own.max_ratio, rollup_words),
        },
    )


ITEM = Item("B2", "trend report", measure)
