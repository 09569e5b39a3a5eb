"""The SQL selectors against tables written by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.aggregates import (
    Scope,
    case_counts,
    clock_compliance,
    durations,
    span_counts,
)
from tests.builders import make_case_type
from tests.reports.helpers import category, trend_case, trend_type, unit

D = dt.date


@pytest.fixture
def table(db):
    """Two trend-only types; type one has two categories, two units."""
    one, two = trend_type(), trend_type()
    a, b = category(one, "a"), category(one, "b")
    north, south = unit("north"), unit("south")
    # type one, January: 3 in a (north, one named), 1 in b (south)
    trend_case(
        one, D(2026, 1, 5), reviewed=D(2026, 1, 6), closed=D(2026, 1, 6), category=a, org_unit=north
    )
    trend_case(
        one,
        D(2026, 1, 10),
        reviewed=D(2026, 1, 12),
        closed=D(2026, 2, 9),
        category=a,
        org_unit=north,
        reporter_named=True,
    )
    trend_case(
        one,
        D(2026, 1, 20),
        reviewed=D(2026, 1, 24),
        closed=D(2026, 2, 3),
        category=a,
        org_unit=north,
    )
    trend_case(one, D(2026, 1, 31), reviewed=D(2026, 2, 10), category=b, org_unit=south)
    # type one, February: 1 in b, open, not reviewed
    trend_case(one, D(2026, 2, 14), category=b, org_unit=south)
    # type two, February and April
    trend_case(two, D(2026, 2, 1), reviewed=D(2026, 2, 2), closed=D(2026, 3, 3))
    trend_case(two, D(2026, 4, 1))
    return type("T", (), {"one": one, "two": two, "a": a, "b": b, "north": north, "south": south})


def test_received_by_month_and_category_keeps_case_types_apart(table):
    scope = Scope(D(2026, 1, 1), D(2026, 4, 1), (table.one.pk, table.two.pk))
    assert case_counts(scope, "received", ["month", "category"]) == {
        (table.one.pk, D(2026, 1, 1), table.a.pk): 3,
        (table.one.pk, D(2026, 1, 1), table.b.pk): 1,
        (table.one.pk, D(2026, 2, 1), table.b.pk): 1,
        (table.two.pk, D(2026, 2, 1), None): 1,
    }


def test_closed_by_quarter_stage_and_outcome(table):
    scope = Scope(D(2026, 1, 1), D(2027, 1, 1), (table.one.pk, table.two.pk))
    assert case_counts(scope, "closed", ["quarter", "stage"]) == {
        (table.one.pk, D(2026, 1, 1), "closed"): 3,
        (table.two.pk, D(2026, 1, 1), "closed"): 1,
    }
    assert case_counts(scope, "received", ["year", "stage"]) == {
        (table.one.pk, D(2026, 1, 1), "closed"): 3,
        (table.one.pk, D(2026, 1, 1), "reviewed"): 1,
        (table.one.pk, D(2026, 1, 1), "received"): 1,
        (table.two.pk, D(2026, 1, 1), "closed"): 1,
        (table.two.pk, D(2026, 1, 1), "received"): 1,
    }


def test_received_by_unit_and_named_for_one_unit(table):
    scope = Scope(D(2026, 1, 1), D(2026, 4, 1), (table.one.pk,))
    assert case_counts(scope, "received", ["unit", "named"]) == {
        (table.one.pk, table.north.pk, False): 2,
        (table.one.pk, table.north.pk, True): 1,
        (table.one.pk, table.south.pk, False): 2,
    }
    south = Scope(D(2026, 1, 1), D(2026, 4, 1), (table.one.pk,), table.south.pk)
    assert case_counts(south, "received", ["category"]) == {(table.one.pk, table.b.pk): 2}


def test_received_closed_open_and_outcomes_per_span_in_one_pass(table):
    ids = (table.one.pk, table.two.pk)
    spans = {
        "jan": Scope(D(2026, 1, 1), D(2026, 2, 1), ids),
        "feb": Scope(D(2026, 2, 1), D(2026, 3, 1), ids),
        "apr": Scope(D(2026, 4, 1), D(2026, 5, 1), ids),
    }
    with CaptureQueriesContext(connection) as queries:
        found = span_counts(spans)
    assert len(queries) == 1
    one, two = (table.one.pk,), (table.two.pk,)
    # Open at the end of each span. 1 Feb: type one's 10, 20 and 31 January (5 January
    # closed on the 6th). 1 Mar: 31 Jan and 14 Feb of type one; type two's 1 Feb closes on
    # 3 March. 1 May: the same two, and type two's 1 April.
    assert {name: counts["open"] for name, counts in found.items()} == {
        "jan": {one: 3},
        "feb": {one: 2, two: 1},
        "apr": {one: 2, two: 1},
    }
    assert {name: counts["received"] for name, counts in found.items()} == {
        "jan": {one: 4},
        "feb": {one: 1, two: 1},
        "apr": {two: 1},
    }
    assert {name: counts["closed"] for name, counts in found.items()} == {
        "jan": {one: 1},
        "feb": {one: 2},
        "apr": {},
    }
    # Trend-only cases close with no outcome recorded.
    assert found["feb"]["outcome"] == {(table.one.pk, ""): 2}
    assert found["jan"]["reopened"] == {}


def test_days_to_close_median_and_90th_percentile(table):
    scope = Scope(D(2026, 1, 1), D(2026, 4, 1), (table.one.pk, table.two.pk))
    # type one closed after 1, 30 and 14 days: sorted 1, 14, 30; median 14;
    # 90th: position 2 * 0.9 = 1.8, so 14 + 0.8 * (30 - 14) = 26.8. Type two: 30 days.
    expected = {table.one.pk: (3, 14.0, 26.8), table.two.pk: (1, 30.0, 30.0)}
    for portable in (False, True):
        got = durations(scope, "close", portable=portable)
        assert got.keys() == expected.keys()
        for key, (n, p50, p90) in expected.items():
            assert got[key][0] == n
            assert got[key][1] == pytest.approx(p50)
            assert got[key][2] == pytest.approx(p90)


def test_days_to_acknowledge_with_an_even_count(table):
    scope = Scope(D(2026, 1, 1), D(2026, 4, 1), (table.one.pk,))
    # reviewed after 1, 2, 4 and 10 days: median (2 + 4) / 2 = 3; 90th: position 2.7,
    # 4 + 0.7 * 6 = 8.2
    for portable in (False, True):
        n, p50, p90 = durations(scope, "acknowledge", portable=portable)[table.one.pk]
        assert n == 4
        assert p50 == pytest.approx(3.0)
        assert p90 == pytest.approx(8.2)


def test_clock_compliance_per_month_and_kind(table):
    # Acknowledge within 7 days: met on the 6th, 12th, 24th Jan (due 12th, 17th, 27th); the
    # 31 January case was reviewed on 10 February, after its due day (7 Feb): missed.
    scope = Scope(D(2026, 1, 1), D(2026, 3, 1), (table.one.pk,))
    assert clock_compliance(scope, "month") == {
        (table.one.pk, D(2026, 1, 1), "acknowledge"): (3, 0),
        (table.one.pk, D(2026, 2, 1), "acknowledge"): (0, 1),
    }


@pytest.mark.postgres
def test_postgresql_percentile_cont_equals_the_portable_sql(db):
    assert connection.vendor == "postgresql"
    case_type = make_case_type(workflow="trend_only")
    for days in (0, 3, 3, 5, 8, 13, 21, 34, 55):
        trend_case(case_type, D(2026, 1, 1), closed=D(2026, 1, 1) + dt.timedelta(days=days))
    scope = Scope(D(2026, 1, 1), D(2026, 6, 1), (case_type.pk,))
    native, portable = durations(scope, "close"), durations(scope, "close", portable=True)
    assert native[case_type.pk][0] == portable[case_type.pk][0] == 9
    assert native[case_type.pk][1] == pytest.approx(portable[case_type.pk][1]) == 8
    # position 8 * 0.9 = 7.2: 34 + 0.2 * 21 = 38.2
    assert native[case_type.pk][2] == pytest.approx(portable[case_type.pk][2]) == 38.2


def test_counts_match_a_raw_sql_group_by_on_the_same_rows(table):
    scope = Scope(D(2026, 1, 1), D(2026, 7, 1), (table.one.pk, table.two.pk))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT case_type_id, org_unit_id, state, COUNT(*) FROM cases_case "
            "WHERE received_on >= %s AND received_on < %s AND case_type_id IN (%s, %s) "
            "GROUP BY case_type_id, org_unit_id, state",
            [scope.start, scope.end, table.one.pk, table.two.pk],
        )
        raw = {(t, u, s): n for t, u, s, n in cursor.fetchall()}
    assert case_counts(scope, "received", ["unit", "stage"]) == raw
    assert sum(raw.values()) == 7


def test_reopened_by_the_reporters_check_in_per_span_and_case_type(db):
    from cases.models import CheckinAnswer
    from cases.services import case_checkin_record
    from tests.reports.helpers import _at

    one, two = trend_type(checkin_after_weeks=1), trend_type(checkin_after_weeks=1)
    answers = [
        # (type, closed, answered, answer)
        (one, D(2026, 1, 6), D(2026, 2, 10), CheckinAnswer.YES),
        (one, D(2026, 1, 9), D(2026, 2, 20), CheckinAnswer.YES),
        (one, D(2026, 1, 9), D(2026, 2, 21), CheckinAnswer.NO),
        (one, D(2026, 1, 9), D(2026, 5, 2), CheckinAnswer.YES),
        (two, D(2026, 2, 2), D(2026, 3, 31), CheckinAnswer.YES),
        (two, D(2026, 2, 2), D(2026, 3, 31), CheckinAnswer.PREFER_NOT),
    ]
    for case_type, closed, answered, answer in answers:
        case = trend_case(case_type, closed, reviewed=closed, closed=closed)
        with _at(answered):
            case_checkin_record(case=case, answer=answer, message="")
    ids = (one.pk, two.pk)
    spans = {
        "q1": Scope(D(2026, 1, 1), D(2026, 4, 1), ids),
        "q2": Scope(D(2026, 4, 1), D(2026, 7, 1), ids),
        "feb": Scope(D(2026, 2, 1), D(2026, 3, 1), ids),
        "2025": Scope(D(2025, 1, 1), D(2026, 1, 1), ids),
    }
    assert {name: counts["reopened"] for name, counts in span_counts(spans).items()} == {
        "q1": {(one.pk,): 2, (two.pk,): 1},
        "q2": {(one.pk,): 1},
        "feb": {(one.pk,): 2},
        "2025": {},
    }
    only_two = {"q1": Scope(D(2026, 1, 1), D(2026, 4, 1), (two.pk,))}
    assert span_counts(only_two)["q1"]["reopened"] == {(two.pk,): 1}
    assert span_counts({}) == {}


def test_the_first_day_of_each_months_month_quarter_and_year_in_sql(db):
    from django.db.models import DateField, Value

    from cases.models import CaseType
    from reports.aggregates import PeriodStart

    make_case_type()
    quarter_starts = [1, 1, 1, 4, 4, 4, 7, 7, 7, 10, 10, 10]
    for month, quarter_month in enumerate(quarter_starts, start=1):
        day = Value(D(2025, month, 28 if month == 2 else 30), output_field=DateField())
        found = (
            CaseType.objects.annotate(
                m=PeriodStart(day, grain="month"),
                q=PeriodStart(day, grain="quarter"),
                y=PeriodStart(day, grain="year"),
            )
            .values_list("m", "q", "y")
            .first()
        )
        assert found == (D(2025, month, 1), D(2025, quarter_month, 1), D(2025, 1, 1)), month
