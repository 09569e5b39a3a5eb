"""B3 and B4 at a tiny scale on whatever database the tests use: each runs, its two sides
write the same rows (the items check that before timing and raise if not), and B4 reports
its query ceiling."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from bench.items import Context
from bench.items.b3_submission import measure as b3_measure
from bench.items.b4_transition import measure as b4_measure
from cases.models import Case, CaseEvent, Category, OrganisationalUnit
from intake.models import SubmissionKey
from tests.builders import make_case_type

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def handler():
    user = get_user_model().objects.create(username="handler")
    user.groups.add(Group.objects.get_or_create(name="Handler")[0])
    return user


def test_b4_moves_a_case_of_its_own_each_run_and_counts_the_services_queries(handler):
    make_case_type(slug="whistleblowing", workflow="whistleblowing")
    context = Context(scale=0, vendor=connection.vendor, handler_id=handler.pk, handler_cases=0)
    m = b4_measure(context, 7)
    assert m.item == "B4" and len(m.ratios) == 21  # at least 21 rounds: one step a run
    # BEGIN, the ten statements of tests/workflows/test_queries.py, COMMIT; the raw side
    # ten and the same two.
    assert (m.a_queries, m.b_queries) == (12, 12)
    assert m.extra["queries"] == (True, "10 statements ≤ 10 (and BEGIN, COMMIT)")
    # Two for the check that the sides agree, then per side a warm-up, 21 rounds, the query
    # count and the peak, and one more to list the statements: every case made was moved.
    moved = 2 + 2 * (1 + 21 + 2) + 1
    assert Case.objects.filter(state="acknowledged").count() == moved
    assert not Case.objects.filter(state="received").exists()
    assert CaseEvent.objects.filter(code="clock.met").count() == moved


def test_b3_files_a_report_each_run_through_the_view_and_by_hand():
    case_type = make_case_type(slug="whistleblowing", workflow="whistleblowing")
    Category.objects.create(case_type=case_type, slug="fraud", name="Fraud")
    OrganisationalUnit.objects.create(slug="finance", name="Finance")
    context = Context(scale=0, vendor=connection.vendor, handler_id=0, handler_cases=0)
    m = b3_measure(context, 7)
    assert m.item == "B3" and len(m.ratios) == 21
    assert m.b_queries == 11  # BEGIN, nine INSERTs (the staff news the ninth), COMMIT
    reports = 2 + 2 * (1 + 21 + 2)
    assert Case.objects.count() == SubmissionKey.objects.count() == reports
    assert CaseEvent.objects.filter(code="case.created", seq=1).count() == reports
