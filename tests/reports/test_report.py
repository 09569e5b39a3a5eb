"""A whole report built from hand tables: counts, comparisons in words, suppression."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.disclosure import Rule
from reports.selectors import Period, change_words, report_build
from tests.reports.helpers import category, trend_case, trend_type, unit

D = dt.date


def test_periods_are_whole_months_quarters_or_years():
    q = Period.of("quarter", 2026, 1)
    assert (q.start, q.end, q.label) == (D(2026, 1, 1), D(2026, 4, 1), "Q1 2026")
    assert q.previous().label == "Q4 2025"
    assert q.last_year().label == "Q1 2025"
    assert Period.of("month", 2026, 12).end == D(2027, 1, 1)
    assert Period.of("year", 2025).label == "2025"
    assert Period.latest_complete("quarter", D(2026, 5, 17)).label == "Q1 2026"
    with pytest.raises(ValueError):
        Period("quarter", D(2026, 2, 1))


def test_changes_in_words():
    assert change_words(12, 19) == "up from 12 to 19"
    assert change_words(20, 10) == "down from 20 to 10"
    assert change_words(10, 10) == "unchanged at 10"
    assert change_words(None, 10) == "too few cases to compare"


@pytest.mark.slow
def test_a_quarter_with_enough_cases_is_shown_and_compared(db):
    kind = trend_type()
    bullying = category(kind, "bullying")
    north, south = unit("north"), unit("south")
    for day in range(1, 11):  # 10 in January 2026, north
        trend_case(
            kind, D(2026, 1, day), closed=D(2026, 1, day + 5), category=bullying, org_unit=north
        )
    for day in range(1, 6):  # 5 in October 2025, north
        trend_case(kind, D(2025, 10, day), category=bullying, org_unit=north)
    trend_case(kind, D(2026, 2, 1), category=bullying, org_unit=south)  # 1 in the south
    report = report_build(
        period=Period.of("quarter", 2026, 1), case_type_ids=[kind.pk], the_rule=Rule(5)
    )
    section = report.sections[0]
    assert section.kind == "counted for trends only"
    summary = section.views[0].table
    assert summary.rows == [
        "Received",
        "Closed",
        "Open at the end",
        "Reopened by the reporter's check-in",
    ]
    assert summary.columns == ["Q1 2026", "Q4 2025", "Q1 2025"]
    # received 11 -> 10; 5 before; none a year earlier. Closed 10. Open at the end: 6 now
    # (south's and October's 5), 5 at the end of Q4 2025. None reopened: nothing to show.
    assert summary.cells == [[10, 5, None], [10, None, None], [5, 5, None], [None, None, None]]
    assert section.sentences[0] == (
        "Cases received: up from 5 to 10 on Q4 2025; too few to show in Q1 2025."
    )
    units = next(v for v in section.views if v.key == "unit").table
    assert units.rows == ["North", "Other units"]
    timeliness = next(v for v in section.views if v.key == "timeliness").table
    assert timeliness.cells[1] == [10, 5.0, 5.0]
    assert not report.nothing_to_show


def test_a_report_of_too_few_cases_has_nothing_to_show(db):
    kind = trend_type()
    trend_case(kind, D(2026, 1, 5))
    report = report_build(period=Period.of("month", 2026, 1), case_type_ids=[kind.pk])
    assert report.nothing_to_show


def test_a_report_with_no_case_types_at_all_has_nothing_to_show(db):
    report = report_build(period=Period.of("quarter", 2026, 1), case_type_ids=[])
    assert report.nothing_to_show
