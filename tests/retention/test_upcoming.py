"""The next cases to fall due (``cases_upcoming``, on the retention preview page and in
``purge_cases --dry-run``): soonest first across case types, held cases past their date
first of all, nothing purged, open or already due; read a page's worth by the database, in
one query per case type whatever the number of closed cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from permissions.roles import Role
from retention.models import DeletionRecord
from retention.selectors import cases_upcoming
from retention.services import hold_lift, hold_place
from tests.builders import make_case, make_case_type
from tests.retention.conftest import person

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def _closed(case_type, reference: str, days_ago: int, **more) -> Case:
    """A case of ``case_type`` closed ``days_ago`` days before ``TODAY`` (dates set in
    place: the workflow closes it today)."""
    case: Case = make_case(case_type=case_type, state="received")
    models.QuerySet(model=Case).filter(pk=case.pk).update(
        reference=reference, closed_on=TODAY - dt.timedelta(days=days_ago), **more
    )
    return case


def _cases():
    """Two case types, kept 100 and 30 days after closure, and cases in every position."""
    long_kept = make_case_type(slug="long", name="Long", retention_days=100)
    short_kept = make_case_type(slug="short", name="Short", retention_days=30)
    _closed(long_kept, "A1", 10)  # due in 90 days
    _closed(long_kept, "A2", 50)  # in 50
    _closed(long_kept, "A3", 200)  # due 100 days ago: the purge's, not upcoming
    lead = person("governance-upcoming", Role.GOVERNANCE_LEAD)
    review_on = timezone.localdate() + dt.timedelta(days=30)
    _closed(long_kept, "A4", 150)  # due 50 days ago, but held
    hold_place(actor=lead, reference="A4", reason="Tribunal.", review_on=review_on)
    _closed(long_kept, "A5", 160)  # due 60 days ago, its hold lifted
    lifted = hold_place(actor=lead, reference="A5", reason="Settled.", review_on=review_on)
    hold_lift(actor=lead, hold=lifted)
    purged = _closed(long_kept, "A6", 5)
    DeletionRecord.objects.create(case=purged, purged_at=timezone.now())
    make_case(case_type=long_kept, state="received")  # open: no date yet
    _closed(short_kept, "B1", 20)  # in 10
    _closed(short_kept, "B2", 0)  # in 30
    # Closed 25 days ago, reopened by the check-in two days ago: counts from then, in 28.
    _closed(short_kept, "B3", 25, reopened_by_checkin_on=TODAY - dt.timedelta(days=2))
    _closed(short_kept, "B4", 30)  # due today: the purge's
    _closed(short_kept, "B5", 10, attention_since=TODAY)  # waiting on the check-in's attention


# By hand: (reference, type, days from TODAY to its date, held).
EXPECTED = [
    ("A4", "Long", -50, True),
    ("B1", "Short", 10, False),
    ("B3", "Short", 28, False),
    ("B2", "Short", 30, False),
    ("A2", "Long", 50, False),
    ("A1", "Long", 90, False),
]


def _rows(found):
    return [(r.reference, r.case_type, (r.due_on - TODAY).days, r.held) for r in found]


def test_the_next_cases_to_fall_due_soonest_first_across_types():
    _cases()
    assert _rows(cases_upcoming(TODAY)) == EXPECTED


@pytest.mark.parametrize("limit", [1, 3, 5])
def test_a_limit_gives_the_soonest_of_all_types(limit):
    _cases()
    assert _rows(cases_upcoming(TODAY, limit=limit)) == EXPECTED[:limit]


def test_the_rows_read_do_not_grow_with_the_closed_cases():
    """Three queries (the policies, then one for each type), and never more rows than the
    limit for a type, whatever is closed."""
    _cases()
    with CaptureQueriesContext(connection) as queries:
        cases_upcoming(TODAY, limit=2)
    assert len(queries) == 3
    assert all("LIMIT 2" in q["sql"] for q in queries.captured_queries[1:])
