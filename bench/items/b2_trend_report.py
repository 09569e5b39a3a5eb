"""B2: a governance lead's trend report for twelve months (by month and category, by stage,
and the rest of the page), built as the page and the downloads build it, disclosure control
included, against plain SQL GROUP BYs giving the same counts from the same tables.

The report (``reports.selectors.report_build``) publishes, for each case type: received,
closed, open and reopened this year, the year before and a year earlier; received by month
and category; received by stage; closed by outcome; received by unit and named or not; the
days to acknowledge and to close (median and 90th percentile); deadlines met and missed. The
baseline reads the same numbers with the fewest plain GROUP BYs that give them (one per shape
of table), and interpolates the percentiles from a count per number of days; it publishes
nothing. Before timing, every number the report shows in its month-by-category, stage and
summary tables is checked against the baseline's counts.
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
from cases.models import CaseType, Category
from reports.disclosure import Rule, round_to_base
from reports.selectors import Period, Report, report_build
from workflows import registry

TARGET_SECONDS = 1.0
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
        measures = ("received", "closed", "open", "reopened")
        for type_id, outcome, *values in cursor.fetchall():
            for i, value in enumerate(values):
                name, measure = list(spans)[i // 4], measures[i % 4]
                counts[measure][type_id, name] = counts[measure].get((type_id, name), 0) + int(
                    value or 0
                )
            counts["outcome"][type_id, outcome] = int(values[1] or 0)
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


def check_agreement(report: Report, counts: Counts, type_ids: list[int]) -> int:
    """Each number the report shows in its summary, month-by-category and stage tables is
    the baseline's count rounded to the nearest 5 (and not under the threshold). Returns how
    many were compared."""
    names = dict(CaseType.objects.filter(pk__in=type_ids).values_list("name", "pk"))
    workflows = dict(CaseType.objects.filter(pk__in=type_ids).values_list("pk", "workflow"))
    categories = {
        (type_id, name): pk
        for pk, type_id, name in Category.objects.values_list("pk", "case_type_id", "name")
    }
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
    compared = 0
    for section in report.sections:
        type_id = names[section.case_type]
        spec = registry.spec_of(workflows[type_id])
        stages = {str(s.staff): s.name for s in spec.states}
        for view in section.views:
            table = view.table
            for r, row in enumerate(table.rows):
                for c, column in enumerate(table.columns):
                    shown = table.cells[r][c]
                    if view.key == "summary":
                        true = counts[measures[row]].get((type_id, spans[column]), 0)
                    elif view.key == "category":
                        category = categories.get((type_id, row))  # None: not categorised
                        true = counts["category"].get((type_id, months[column], category), 0)
                    elif view.key == "stage":
                        true = counts["stage"].get((type_id, stages[row]), 0)
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

    # Fresh bulk rows have no planner statistics yet (autovacuum gets to them later): both
    # sides are planned from the same statistics. Only the owner of the tables may analyse.
    with connected_as_owner() as owner, owner.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        cursor.execute("ANALYZE workflows_clock")
    compared = check_agreement(build(None), raw(None), type_ids)
    if compared == 0:
        raise AssertionError("B2 compared no number: the report showed nothing")
    result = compare(
        item="B2",
        title=f"trend report, 12 months by category and stage with suppression "
        f"({context.scale:,} cases)",
        target=f"≤1.2x, under {TARGET_SECONDS:g} s",
        max_ratio=1.2,
        a=Side("report", build),
        b=Side("raw", raw),
        rounds=rounds,
    )
    seconds = result.a_median
    words = f"{seconds:.2f} s, {'under' if seconds < TARGET_SECONDS else 'over'} 1 s"
    return dataclasses.replace(result, extra={"time": (seconds < TARGET_SECONDS, words)})


ITEM = Item("B2", "trend report", measure)
