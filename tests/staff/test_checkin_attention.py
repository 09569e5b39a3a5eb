"""What staff see of the reporter's check-in: a "yes" reaches the handler's notifications, the
case page says it needs attention (its closed state unchanged), the list filters by it, and a
handler records when it has been dealt with (one URL, one form; outsiders get not-found)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cases.models import CaseEvent, CheckinAnswer
from intake.services import checkin_answer
from notifications.models import Notification
from tests.builders import make_case, make_case_type, make_handler

CLOSED_ON = dt.date(2026, 3, 2)
ANSWERED_ON = CLOSED_ON + dt.timedelta(weeks=6)
BANNER = "the reporter answered the check-in after closure"


def _at(day):
    moment = dt.datetime.combine(day, dt.time(11, 5), tzinfo=timezone.get_current_timezone())
    return time_machine.travel(moment, tick=False)


def _closed(case_type, handler=None):
    with _at(CLOSED_ON):
        case = make_case(case_type=case_type, state="closed")
    if handler is None:
        return case, make_handler(case)
    make_handler(case, username=handler.username)
    return case, handler


@pytest.fixture
def answered(db):
    """A closed case and its handler; the reporter answers "yes" six weeks after closure.
    Returns (case, handler)."""
    case, handler = _closed(make_case_type(checkin_after_weeks=4))
    with _at(ANSWERED_ON):
        checkin_answer(case=case, answer=CheckinAnswer.YES, message="")
    case.refresh_from_db()
    return case, handler


def test_a_yes_reaches_the_handlers_notifications_at_the_next_round_with_no_content(answered):
    """Not at the moment of the answer, which would tell its time of day (decision 0009)."""
    from notifications.services import staff_news_send

    case, handler = answered
    assert not Notification.objects.exists()
    staff_news_send()
    found = Notification.objects.filter(recipient=handler)
    assert [(n.kind, n.case_id) for n in found] == [("checkin_concern", case.pk)]


def test_a_no_notifies_nobody(db):
    case_type = make_case_type(checkin_after_weeks=0)
    with _at(CLOSED_ON):
        case = make_case(case_type=case_type, state="closed")
        make_handler(case)
        checkin_answer(case=case, answer=CheckinAnswer.NO, message="Fine")
        checkin_answer_other = make_case(case_type=case_type, state="closed")
        checkin_answer(case=checkin_answer_other, answer=CheckinAnswer.PREFER_NOT, message="")
    from notifications.services import staff_news_send

    assert staff_news_send() == 0
    assert Notification.objects.count() == 0


@pytest.mark.slow  # signs in and renders the whole case page, more than once
def test_the_case_page_says_it_needs_attention_and_stays_closed(answered, sign_in, client):
    case, handler = answered
    sign_in(handler)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert BANNER in page and "Record that this has been dealt with" in page
    assert "Check-in after closure" in page and "Yes, 13 April 2026" in page
    assert case.state == "closed"


def test_the_list_filter_finds_only_cases_needing_attention(answered, sign_in, client):
    case, handler = answered
    other, _ = _closed(case.case_type, handler)
    sign_in(handler)
    everything = client.get("/staff/cases/").content.decode()
    assert case.reference in everything and other.reference in everything
    needing = client.get("/staff/cases/?attention=1").content.decode()
    assert case.reference in needing and other.reference not in needing
    assert 'id="attention" type="checkbox" name="attention" value="1" checked' in needing


@pytest.mark.slow  # signs in and renders the whole case page, more than once
def test_a_handler_records_it_dealt_with_and_the_marker_stays(answered, sign_in, client):
    case, handler = answered
    sign_in(handler)
    answer = client.post(f"/staff/cases/{case.pk}/attention/", follow=True)
    assert "has been dealt with" in answer.content.decode()
    case.refresh_from_db()
    assert case.attention_since is None
    assert case.reopened_by_checkin_on == ANSWERED_ON  # what reports count stays
    event = CaseEvent.objects.get(case=case, code="case.attention_cleared")
    assert event.actor == handler and event.payload == {}
    assert case.reference not in client.get("/staff/cases/?attention=1").content.decode()
    # Again: nothing to deal with, a clear message and nothing written.
    again = client.post(f"/staff/cases/{case.pk}/attention/", follow=True)
    assert "does not need attention" in again.content.decode()
    assert CaseEvent.objects.filter(case=case, code="case.attention_cleared").count() == 1


def test_someone_who_does_not_work_the_case_gets_not_found(
    answered, sign_in, client, django_user_model
):
    case, _ = answered
    from django.contrib.auth.models import Group

    outsider = django_user_model.objects.create_user(username="outsider")
    outsider.groups.add(Group.objects.get_or_create(name="Handler")[0])
    sign_in(outsider)
    assert client.post(f"/staff/cases/{case.pk}/attention/").status_code == 404
    assert client.get(f"/staff/cases/{case.pk}/attention/").status_code == 405
    case.refresh_from_db()
    assert case.attention_since == ANSWERED_ON
    assert not CaseEvent.objects.filter(case=case, code="case.attention_cleared").exists()
