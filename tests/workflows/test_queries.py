"""What a step costs the database, counted by hand: the service as the step form calls it and
the form's POST (docs/performance.md, B4). A regression (the gate asked twice, the case read
again, a clock read per clock, an event per head lock) changes a number here.

The counts are the same on SQLite and PostgreSQL. Each includes the SAVEPOINT and RELEASE of
the service's transaction (the test's own transaction is outside it; in production they are
BEGIN and COMMIT).
"""

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent
from tests.builders import make_case, make_case_type, make_handler
from workflows.models import Clock
from workflows.services import case_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """A whistleblowing case as filed (no contact details: no e-mail to queue) and its
    handler, assigned through the service."""
    case = make_case(case_type=make_case_type())
    return case, make_handler(case)


def test_acknowledging_stops_one_deadline_and_starts_another_in_twelve_queries(
    received, django_assert_num_queries
):
    case, handler = received
    # SAVEPOINT; the case through the gate, locked, with its type and the handler's roles;
    # UPDATE the case and INSERT its history; the case's clocks; UPDATE the acknowledgement
    # clock; INSERT the feedback clock; one INSERT of both clocks' history; the chain's
    # head, locked, and its UPDATE; one INSERT of both events; RELEASE.
    with django_assert_num_queries(12):
        case_transition(
            case=str(case.pk), name="acknowledge", actor=handler, expected_state="received"
        )
    assert Case.objects.get(pk=case.pk).state == "acknowledged"
    assert sorted(Clock.objects.filter(case=case).values_list("kind", "stopped_on")) == [
        ("acknowledge", timezone.localdate()),
        ("feedback", None),
    ]
    codes = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("code", flat=True))
    assert codes[-2:] == ["case.transitioned", "clock.met"]


def test_a_step_that_moves_no_deadline_costs_nine_queries(received, django_assert_num_queries):
    case, handler = received
    case_transition(case=case, name="acknowledge", actor=handler)
    # SAVEPOINT; the case, locked, with the roles; UPDATE and history; the clocks (a stage's
    # limit may have been set since); the head, its UPDATE and the event; RELEASE.
    with django_assert_num_queries(9):
        case_transition(case=case, name="begin_assessment", actor=handler)


def test_queuing_the_reporters_email_adds_two_queries(django_assert_num_queries):
    case = make_case(case_type=make_case_type(), reporter_contact="me@home.example")
    handler = make_handler(case)
    # As acknowledging above, and: is an e-mail already waiting; INSERT one.
    with django_assert_num_queries(14):
        case_transition(case=case, name="acknowledge", actor=handler)


def test_the_step_forms_post_reads_the_case_once(
    received, sign_in, client, django_assert_num_queries
):
    case, handler = received
    sign_in(handler)
    client.get("/staff/")  # the session as a page leaves it
    # The session, the user, their second factor; the step's twelve; the session's
    # last-seen time saved (SAVEPOINT, UPDATE, RELEASE).
    with django_assert_num_queries(3 + 12 + 3) as captured:
        answer = client.post(
            f"/staff/cases/{case.pk}/step/", {"step": "acknowledge", "expected_state": "received"}
        )
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/cases/{case.pk}/"
    case_reads = [q for q in captured if q["sql"].startswith('SELECT "cases_case"."id"')]
    assert len(case_reads) == 1
