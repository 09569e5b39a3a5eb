"""A period's report against raw SQL counts written here, before and after the retention purge
of every case in it: the report the page and the downloads build, cell by cell, and the page
and the CSV over HTTP."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections import defaultdict
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from cases.models import Case, CaseType
from reports.disclosure import Rule
from reports.selectors import Period, Report, report_build
from retention.models import DeletionRecord
from retention.purge import purge_due_cases
from tests.builders import STEP_DATA, make_case, make_case_type
from tests.reports.helpers import category, trend_case, trend_type, unit
from tests.retention.conftest import close
from workflows.services import case_transition

D = dt.date
PERIOD = Period.of("quarter", 2025, 1)
FORM = {"grain": "quarter", "year": "2025", "number": "1", "case_type": "all", "unit": ""}
# A year after the last closing day below, with the types' 365-day policies: all are due.
PURGE_DAY = D(2026, 8, 1)

# Labels the report prints, written here by hand.
STAGES = {
    "received": "Received",
    "reviewed": "Reviewed",
    "closed": "Closed",
}
OUTCOMES = {"": "No outcome recorded", "substantiated": "Substantiated"}
CLOCK_KINDS = {"acknowledge": "Acknowledge receipt", "feedback": "Give feedback"}


def _at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(12)), tick=False)


def _cases() -> tuple[CaseType, CaseType]:
    """Thirty trend-only reports and six whistleblowing cases, each made by the services on
    its own days, every one closed (so every one is purged)."""
    trends = trend_type(name="Trends")
    whistle = make_case_type(name="Whistleblowing", workflow="whistleblowing")
    bullying, conduct = category(trends, "bullying"), category(trends, "conduct")
    north, south = unit("north"), unit("south")
    # Q1 2025: 9 in the north (3 named), 6 in the south (2 named); three still open on
    # 31 March (closed in April or May).
    for n, day in enumerate([D(2025, 1, d) for d in (3, 6, 9, 14, 20, 27)]):
        trend_case(
            trends,
            day,
            reviewed=day,
            closed=day + dt.timedelta(days=4 + 3 * n),
            category=bullying,
            org_unit=north,
            reporter_named=n < 3,
        )
    for day in (D(2025, 2, 10), D(2025, 3, 20), D(2025, 3, 28)):
        trend_case(
            trends,
            day,
            reviewed=day + dt.timedelta(days=2),
            closed=D(2025, 5, 2),
            category=conduct,
            org_unit=north,
        )
    for n, day in enumerate([D(2025, 2, d) for d in (2, 5, 11, 17, 23)] + [D(2025, 3, 3)]):
        trend_case(
            trends,
            day,
            reviewed=day + dt.timedelta(days=n),
            closed=day + dt.timedelta(days=9),
            category=conduct if n < 4 else bullying,
            org_unit=south,
            reporter_named=n % 3 == 0,
        )
    # Q4 2024: 7 in the north, closed in December or January.
    for n, day in enumerate(
        [D(2024, 10, d) for d in (1, 8, 15, 22, 29)] + [D(2024, 11, 5), D(2024, 12, 1)]
    ):
        trend_case(
            trends,
            day,
            reviewed=day,
            closed=D(2024, 12, 20) if n < 4 else D(2025, 1, 8),
            category=bullying,
            org_unit=north,
        )
    # Q1 2024: 3, too few to show.
    for day in (D(2024, 1, 4), D(2024, 2, 4), D(2024, 3, 4)):
        trend_case(trends, day, reviewed=day, closed=day + dt.timedelta(days=3), org_unit=south)
    # Whistleblowing, Q1 2025: six, acknowledged after 2 to 12 days, closed in March.
    for n, day in enumerate([D(2025, 1, d) for d in (6, 7, 8, 9, 10, 13)]):
        with _at(day):
            case = make_case(case_type=whistle, org_unit=north, received_on=day)
        with _at(day + dt.timedelta(days=2 + 2 * n)):
            case = _step(case, "acknowledge")
        with _at(D(2025, 3, 3 + n)):
            close(case)
    return trends, whistle


def _step(case: Case, name: str) -> Case:
    return case_transition(case=case, name=name, actor=None, **STEP_DATA)


# --- The raw counts -------------------------------------------------------------------------


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _count(case_type: CaseType, where: str, params: list[Any]) -> int:
    sql = f"SELECT COUNT(*) FROM cases_case WHERE case_type_id = %s AND {where}"  # noqa: S608
    return int(_rows(sql, [case_type.pk, *params])[0][0])


def _month_label(day: dt.date) -> str:
    return f"{calendar.month_abbr[day.month]} {day.year}"


def raw_views(case_type: CaseType, period: Period) -> dict[str, dict[tuple[str, str], int]]:
    """Per table of a case type's section: ``{(row, column): count}`` from plain SQL."""
    views: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    start, end = period.start, period.end
    for span in (period, period.previous(), period.last_year()):
        s, e = span.start, span.end
        summary = views["summary"]
        summary["Received", span.label] = _count(
            case_type, "received_on >= %s AND received_on < %s", [s, e]
        )
        summary["Closed", span.label] = _count(
            case_type, "closed_on >= %s AND closed_on < %s", [s, e]
        )
        summary["Open at the end", span.label] = _count(
            case_type, "received_on < %s AND (closed_on IS NULL OR closed_on >= %s)", [e, e]
        )
        summary["Reopened by the reporter's check-in", span.label] = _count(
            case_type, "reopened_by_checkin_on >= %s AND reopened_by_checkin_on < %s", [s, e]
        )
    for month in period.months():
        following = (month + dt.timedelta(days=32)).replace(day=1)
        for name, n in _rows(
            "SELECT g.name, COUNT(*) FROM cases_case k"
            " LEFT JOIN cases_category g ON g.id = k.category_id"
            " WHERE k.case_type_id = %s AND k.received_on >= %s AND k.received_on < %s"
            " GROUP BY g.name",
            [case_type.pk, month, following],
        ):
            views["category"][name or "Not categorised", _month_label(month)] = n
    for state, n in _rows(
        "SELECT state, COUNT(*) FROM cases_case"
        " WHERE case_type_id = %s AND received_on >= %s AND received_on < %s GROUP BY state",
        [case_type.pk, start, end],
    ):
        views["stage"][STAGES[state], "Cases"] = n
    for outcome, n in _rows(
        "SELECT outcome, COUNT(*) FROM cases_case"
        " WHERE case_type_id = %s AND closed_on >= %s AND closed_on < %s GROUP BY outcome",
        [case_type.pk, start, end],
    ):
        views["outcome"][OUTCOMES[outcome], "Cases"] = n
    for name, named, n in _rows(
        "SELECT u.name, k.reporter_named, COUNT(*) FROM cases_case k"
        " LEFT JOIN cases_organisationalunit u ON u.id = k.org_unit_id"
        " WHERE k.case_type_id = %s AND k.received_on >= %s AND k.received_on < %s"
        " GROUP BY u.name, k.reporter_named",
        [case_type.pk, start, end],
    ):
        views["unit"][name, "Named" if named else "Anonymous"] = n
    views["timeliness"]["Days to close", "Cases"] = _count(
        case_type, "closed_on >= %s AND closed_on < %s", [start, end]
    )
    ((acknowledged,),) = _rows(
        "SELECT COUNT(*) FROM workflows_clock c JOIN cases_case k ON k.id = c.case_id"
        " WHERE k.case_type_id = %s AND c.kind = 'acknowledge'"
        " AND c.stopped_on >= %s AND c.stopped_on < %s",
        [case_type.pk, start, end],
    )
    views["timeliness"]["Days to acknowledge", "Cases"] = acknowledged
    for kind, met, n in _rows(
        "SELECT c.kind, c.met, COUNT(*) FROM workflows_clock c"
        " JOIN cases_case k ON k.id = c.case_id"
        " WHERE k.case_type_id = %s AND c.due_on >= %s AND c.due_on < %s"
        " AND (c.met IS NOT NULL OR c.missed_recorded)"
        " GROUP BY c.kind, c.met",
        [case_type.pk, start, end],
    ):
        key = (CLOCK_KINDS[kind], "Met" if met else "Missed")
        views["clocks"][key] = views["clocks"].get(key, 0) + n
    return views


# --- Published against raw --------------------------------------------------------------------


def _agrees(shown: int | None, true: int, where: str) -> bool:
    """A shown number is the true count rounded to the nearest 5, and never a small one; a
    hidden one is small, or hidden to protect a small one (then it counts as not shown)."""
    if shown is None:
        return False
    assert true >= 5, f"{where}: {true} is shown as {shown}"
    assert shown == 5 * round(true / 5), f"{where}: {true} is shown as {shown}"
    return True


def check_against_raw(report: Report) -> int:
    """Every cell and total of every table of every section against ``raw_views``; every
    small count hidden; no count missing from the tables. Returns how many numbers were shown
    (and so compared exactly)."""
    types = {t.name: t for t in CaseType.objects.all()}
    shown = 0
    for section in report.sections:
        raw = raw_views(types[section.case_type], report.period)
        for view in section.views:
            if view.key not in raw:
                continue
            counts, table = raw[view.key], view.table
            where = f"{section.case_type}, {view.key}"
            listed = {(r, c) for r in table.rows for c in table.columns}
            assert {k for k, n in counts.items() if n} <= listed, (where, counts, listed)
            for r, row in enumerate(table.rows):
                for c, column in enumerate(table.columns):
                    if view.key == "timeliness" and column != "Cases":
                        continue  # medians, not counts: compared before and after only
                    true = counts.get((row, column), 0)
                    if true < 5:
                        assert table.cells[r][c] is None, (where, row, column)
                    shown += _agrees(table.cells[r][c], true, f"{where}, {row}, {column}")
            if not view.totals:
                continue
            for r, row in enumerate(table.rows):
                true = sum(counts.get((row, c), 0) for c in table.columns)
                shown += _agrees(table.row_totals[r], true, f"{where}, {row}, total")
            for c, column in enumerate(table.columns):
                true = sum(counts.get((r, column), 0) for r in table.rows)
                shown += _agrees(table.column_totals[c], true, f"{where}, total, {column}")
            shown += _agrees(table.total, sum(counts.values()), f"{where}, total")
    return shown


def published(report: Report) -> list[Any]:
    """Every number a reader sees, table by table, and every sentence."""
    found: list[Any] = [s.sentences for s in report.sections]
    for view in report.views():
        t = view.table
        for r, row in enumerate(t.rows):
            found.extend(
                (t.title, row, column, t.cells[r][c]) for c, column in enumerate(t.columns)
            )
            found.append((t.title, row, "total", t.row_totals[r]))
        found.append((t.title, "totals", t.column_totals, t.total))
        found.append((t.title, "finding", view.finding))
    return found


def _build(case_types: list[CaseType]) -> Report:
    return report_build(period=PERIOD, case_type_ids=[t.pk for t in case_types], the_rule=Rule(5))


def _csv(client: Any) -> list[list[str]]:
    response = client.get(reverse("staff:report_download", args=["csv"]), FORM)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _csv_numbers(rows: list[list[str]]) -> dict[tuple[str, str, str], str]:
    """(table, row, column) -> value."""
    return {
        (table, row, column): value
        for _, _, table, row, column, value in (r for r in rows if len(r) == 6)
        if table != "Table"
    }


def _shown(value: Any) -> str:
    return "[c]" if value is None else str(value)


def _as_csv(report: Report) -> dict[tuple[str, str, str], str]:
    numbers: dict[tuple[str, str, str], str] = {}
    for view in report.views():
        t = view.table
        for r, row in enumerate(t.rows):
            for c, column in enumerate(t.columns):
                numbers[t.title, row, column] = _shown(t.cells[r][c])
            if view.totals:
                numbers[t.title, row, "Total"] = _shown(t.row_totals[r])
        if view.totals:
            for c, column in enumerate(t.columns):
                numbers[t.title, "Total", column] = _shown(t.column_totals[c])
            numbers[t.title, "Total", "Total"] = _shown(t.total)
    return numbers


@pytest.mark.slow
@pytest.mark.django_db
def test_a_periods_report_matches_raw_counts_before_and_after_the_purge_of_its_cases(
    cast, sign_in, client
):
    _cases()
    every_type = list(CaseType.objects.all())  # the cast's type too, as the page shows
    before = _build(every_type)
    assert check_against_raw(before) >= 20
    sign_in(cast.governance_lead)
    page_before = client.get(reverse("staff:reports"), FORM).content.decode()
    csv_before = _csv(client)
    assert _csv_numbers(csv_before) == _as_csv(before)

    run = purge_due_cases(today=PURGE_DAY)

    assert run.purged == 31
    purged = DeletionRecord.objects.values_list("case_id", flat=True)
    assert len(purged) == 31
    assert not Case.objects.filter(pk__in=purged).exclude(answers=b"").exists()
    after = _build(every_type)
    assert check_against_raw(after) >= 20
    assert published(after) == published(before)
    # Over HTTP: the page states the same findings, the CSV holds the same numbers.
    page_after = client.get(reverse("staff:reports"), FORM).content.decode()
    for sentence in (escape(s) for section in before.sections for s in section.sentences):
        assert sentence in page_before and sentence in page_after, sentence
    numbers = re.compile(r'govuk-table__cell--numeric">([^<]*)<')
    assert len(numbers.findall(page_after)) == len(numbers.findall(page_before)) > 20
    csv_after = _csv(client)
    assert _csv_numbers(csv_after) == _csv_numbers(csv_before)
    assert len(csv_after) == len(csv_before)


@pytest.mark.slow
@pytest.mark.django_db
def test_the_named_split_and_the_medians_survive_the_purge():
    """The stub keeps whether a name was given and the days to close and to acknowledge
    (its dates keep only their months): the unit table, which splits named from anonymous,
    and the medians read the same after the purge."""
    trends = trend_type(name="Trends")
    north = unit("north")
    for n in range(10):
        day = D(2025, 1, 6 + n)
        trend_case(
            trends,
            day,
            reviewed=day + dt.timedelta(days=3),
            closed=day + dt.timedelta(days=10),
            org_unit=north,
            reporter_named=n < 5,
        )
    before = _build([trends])
    (units,) = [v.table for v in before.views() if v.key == "unit"]
    assert units.columns == ["Anonymous", "Named"] and units.cells == [[5, 5]]
    assert purge_due_cases(today=PURGE_DAY).purged
    medians = [v.table for v in before.views() if v.key == "timeliness"]
    assert medians and any(
        cell not in (None, 0) for t in medians for row in t.cells for cell in row
    )
    assert published(_build([trends])) == published(before)
