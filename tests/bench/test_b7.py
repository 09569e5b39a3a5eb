"""B7 at a tiny scale: its population, its two sides claiming the same reminders, and two
scans at once claiming each once. Real transactions: the overlapping scans run on two
connections of their own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from bench.items import Context
from bench.items.b7_reminder_scan import measure as b7_measure
from bench.items.b7_reminder_scan import open_cases
from cases.models import Case
from notifications.models import Reminder
from tests.builders import make_case_type
from workflows.models import Clock

# All databases: on PostgreSQL the item vacuums the claims table as the owner.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases="__all__")]


@pytest.fixture(autouse=True)
def case_types():
    make_case_type(slug="whistleblowing", workflow="whistleblowing")
    make_case_type(slug="bullying", workflow="bullying", acknowledge_within_days=5)


def test_the_population_is_open_cases_with_one_in_a_hundred_due():
    assert open_cases(400) == 400
    assert open_cases(400) == 0  # made once
    cases = Case.objects.filter(reference__startswith="#")
    assert cases.count() == 400 and not cases.filter(closed_on__isnull=False).exists()
    assert sorted(cases.values_list("case_type__slug", flat=True).distinct()) == [
        "bullying",
        "whistleblowing",
    ]
    running = Clock.objects.filter(case__in=cases, stopped_on__isnull=True)
    assert running.count() == 400 and set(running.values_list("kind", flat=True)) == {"feedback"}
    assert Clock.objects.filter(case__in=cases, kind="acknowledge", met=True).count() == 400
    # Cases 100, 200, 300 and 400 are due: soon (the 19th), today, overdue by a day, and
    # four weeks overdue; the others from ten days on.
    soonest = running.filter(due_on__lt=dt.date(2024, 9, 28)).values_list("due_on", flat=True)
    assert sorted(d.isoformat() for d in soonest) == [
        "2024-08-21",
        "2024-09-17",
        "2024-09-18",
        "2024-09-19",
    ]


def test_b7_measures_the_scan_against_raw_sql_and_two_scans_claim_each_once():
    context = Context(scale=400, vendor=connection.vendor, handler_id=0, handler_cases=0)
    # Two scans at once need two connections that wait for each other: PostgreSQL's, or the
    # bench's SQLite file; the in-memory SQLite of the tests refuses a second writer at once.
    postgres = connection.vendor == "postgresql"
    m = b7_measure(context, 7, overlap=postgres)
    # Four due: soon, today and overdue once each; four weeks overdue, also the lead's
    # escalation. Each side claims these five, in every round.
    assert "(5 claims;" in m.title, m.title
    assert len(m.ratios) == 7
    assert m.b_queries == 3  # the policies and case types (as the scan reads them), one INSERT
    assert m.extra["time"][0]
    if postgres:
        ok, words = m.extra["duplicates"]
        assert ok, words
        assert words.startswith("two scans at once: 0 duplicates")
    assert not Reminder.objects.exists()  # the item leaves no claims behind
