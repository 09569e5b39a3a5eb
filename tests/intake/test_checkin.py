"""The reporter's check-in after closure: when the question appears, every path through its one
URL and one form, what a "yes" does to the case (attention, or a linked new case), and that
everything it records is the reporter's day and identifiers only."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from cases.audit import event_record
from cases.checkin import CheckinStatus
from cases.models import Case, CaseEvent, Message, MessageKind
from cases.selectors import case_content, message_list_for_case
from intake import throttle
from tests.builders import make_case, make_case_type

CLOSED_ON = dt.date(2026, 3, 2)  # a Monday
QUESTION = "Since your report was closed, has anyone treated you worse because of it?"
CHECKIN = "/follow-up/check-in/"


def _at(day: dt.date, hour: int = 14, minute: int = 23):
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone()),
        tick=False,
    )


def _closed_case(*, weeks: int | None = 4, opens_case: bool = False, state: str = "closed"):
    # Kept (and its token opening) for ten years, so that the retention policy's token period
    # does not end the follow-up before the days this file looks at.
    case_type = make_case_type(
        checkin_after_weeks=weeks, checkin_yes_opens_case=opens_case, retention_days=3650
    )
    with _at(CLOSED_ON):
        case, token = make_case(case_type=case_type, state=state, with_token=True)
    return case, token


def _follow(client, token: str) -> str:
    """Type the token and return the session's form key (from the follow-up page)."""
    assert client.post("/follow-up/", {"token": token}).status_code == 302
    page = client.get("/follow-up/case/").content.decode()
    return re.search(r'name="form_key" value="([^"]+)"', page).group(1)


# Written by hand: (weeks asked for by the case type, days after closure, asked?).
WHEN_ASKED = [
    (None, 0, False),  # the type never asks
    (None, 400, False),
    (0, 0, True),  # asked from the day it closes
    (4, 27, False),  # the day before four weeks
    (4, 28, True),  # four weeks to the day
    (4, 90, True),  # and for as long as it is unanswered
    (12, 83, False),
    (12, 84, True),
]


@pytest.mark.parametrize(("weeks", "days", "asked"), WHEN_ASKED)
def test_the_question_appears_the_chosen_weeks_after_closure(client, db, weeks, days, asked):
    case, token = _closed_case(weeks=weeks)
    assert case.closed_on == CLOSED_ON
    with _at(CLOSED_ON + dt.timedelta(days=days)):
        _follow(client, token)
        page = client.get("/follow-up/case/").content.decode()
        assert (QUESTION in page) is asked
        answer = client.get(CHECKIN)
    if asked:
        assert answer.status_code == 200 and QUESTION in answer.content.decode()
    else:
        assert answer.status_code == 302 and answer["Location"] == "/follow-up/case/"


# Written by hand: open cases are never asked, however long ago they were received.
@pytest.mark.parametrize("state", ["received", "acknowledged", "investigation", "outcome"])
def test_an_open_case_is_never_asked(client, db, state):
    case, token = _closed_case(weeks=0, state=state)
    assert case.closed_on is None
    with _at(CLOSED_ON + dt.timedelta(days=365)):
        _follow(client, token)
        assert QUESTION not in client.get("/follow-up/case/").content.decode()
        assert client.get(CHECKIN).status_code == 302
        key = _follow(client, token)
        answer = client.post(CHECKIN, {"answer": "yes", "form_key": key})
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.checkin_answer == "" and case.attention_since is None


def test_other_closed_states_are_asked_too(client, db):
    _case, token = _closed_case(weeks=2, state="withdrawn")
    with _at(CLOSED_ON + dt.timedelta(weeks=2)):
        _follow(client, token)
        assert client.get(CHECKIN).status_code == 200


@pytest.fixture
def due(client, db):
    """A case closed four weeks ago whose reporter is following up: (case, form key)."""
    case, token = _closed_case(weeks=4)
    traveller = _at(CLOSED_ON + dt.timedelta(weeks=4, days=3))
    traveller.start()
    key = _follow(client, token)
    yield case, key
    traveller.stop()


def test_the_question_page_uses_govuk_radios_with_three_answers(client, due):
    page = client.get(CHECKIN).content.decode()
    assert '<h1 class="govuk-fieldset__heading">' + QUESTION.replace("'", "&#x27;") in page
    radios = re.findall(r'type="radio" value="([a-z_]+)"', page)
    assert radios == ["yes", "no", "prefer_not"]
    assert "I prefer not to say" in page and 'name="message"' in page


@pytest.mark.parametrize(
    ("answer", "attention"), [("yes", True), ("no", False), ("prefer_not", False)]
)
def test_each_answer_is_recorded_once_with_its_day(client, due, answer, attention):
    case, key = due
    response = client.post(CHECKIN, {"answer": answer, "form_key": key})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Thank you for answering" in page and "What happens next" in page
    case.refresh_from_db()
    today = CLOSED_ON + dt.timedelta(weeks=4, days=3)
    assert case.checkin_answer == answer
    assert case.checkin_answered_on == today
    assert case.state == "closed"  # attention is not a stage
    assert (case.attention_since == today) is attention
    assert (case.reopened_by_checkin_on == today) is attention
    event = CaseEvent.objects.get(case=case, code="case.checkin_answered")
    # Identifiers only, no actor, stored to the day.
    assert event.payload == {"answer": answer}
    assert event.actor is None
    assert timezone.localtime(event.at).time() == dt.time(0, 0)
    # The page thanks them from then on, and the question is gone from the case page.
    assert "Thank you for answering" in client.get(CHECKIN).content.decode()
    assert QUESTION not in client.get("/follow-up/case/").content.decode()


def test_a_second_post_records_nothing_more(client, due):
    case, key = due
    assert client.post(CHECKIN, {"answer": "yes", "form_key": key}).status_code == 200
    again = client.post(CHECKIN, {"answer": "no", "form_key": key, "message": "Changed mind"})
    assert again.status_code == 409 and "Thank you for answering" in again.content.decode()
    case.refresh_from_db()
    assert case.checkin_answer == "yes"
    assert CaseEvent.objects.filter(case=case, code="case.checkin_answered").count() == 1
    assert not Message.objects.filter(case=case).exists()


def test_the_optional_message_is_sealed_under_the_case_key(client, due):
    case, key = due
    words = "My manager moved me to night shifts."
    client.post(CHECKIN, {"answer": "yes", "form_key": key, "message": words})
    message = Message.objects.get(case=case)
    assert message.kind == MessageKind.FROM_REPORTER and message.author is None
    assert words.encode() not in bytes(message.body)
    assert [m.body for m in message_list_for_case(case, include_internal=False)] == [words]
    assert timezone.localtime(message.created_at).time() == dt.time(0, 0)


# Written by hand: malformed posts, each with the error the reporter sees.
MALFORMED = [
    ({}, "Select yes, no or I prefer not to say"),
    ({"answer": "maybe"}, "Select yes, no or I prefer not to say"),
    ({"answer": "YES"}, "Select yes, no or I prefer not to say"),
    ({"answer": "yes", "message": "x" * 10_001}, "10,000 characters or fewer"),
]


@pytest.mark.parametrize(("data", "error"), MALFORMED)
def test_a_malformed_answer_is_refused_with_a_clear_error(client, due, data, error):
    case, key = due
    response = client.post(CHECKIN, {**data, "form_key": key})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and error in page and page.count("<title>Error:") == 1
    case.refresh_from_db()
    assert case.checkin_answer == ""
    assert not CaseEvent.objects.filter(case=case, code="case.checkin_answered").exists()


def test_a_post_without_the_sessions_form_key_is_refused(client, due):
    case, _ = due
    for key in ("", "not-the-key"):
        response = client.post(CHECKIN, {"answer": "yes", "form_key": key})
        assert response.status_code == 403
    case.refresh_from_db()
    assert case.checkin_answer == ""


def test_without_a_session_the_page_is_the_same_as_every_follow_up_page(client, db):
    nonce = re.compile(rb'nonce="[^"]*"')
    ended = client.get("/follow-up/case/")
    for answer in (client.get(CHECKIN), client.post(CHECKIN, {"answer": "yes"})):
        assert answer.status_code == ended.status_code == 403
        assert nonce.sub(b"", answer.content) == nonce.sub(b"", ended.content)


def test_a_wrong_token_gets_the_same_not_found(client, db):
    case, _token = _closed_case(weeks=0)
    with _at(CLOSED_ON):
        wrong = client.post("/follow-up/", {"token": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG"})
        other = client.post("/follow-up/", {"token": "not even a token"})
        assert wrong.status_code == other.status_code == 404
        for answer in (wrong, other):
            assert "No report matches that token" in answer.content.decode()
            assert "__Host-speakup-followup" not in answer.cookies
        # No session was started: the check-in is not reached.
        assert client.get(CHECKIN).status_code == 403
    case.refresh_from_db()
    assert case.checkin_answer == ""


def test_other_methods_are_refused(client, due):
    assert client.put(CHECKIN).status_code == 405
    assert client.delete(CHECKIN).status_code == 405


def test_answers_are_throttled_like_reports(client, due, monkeypatch):
    case, key = due
    monkeypatch.setattr(throttle, "CHECKINS_PER_HOUR", throttle.Limit("checkin-hour", 0, 3600))
    response = client.post(CHECKIN, {"answer": "yes", "form_key": key})
    assert response.status_code == 429
    case.refresh_from_db()
    assert case.checkin_answer == ""


def test_a_fault_while_saving_keeps_nothing_and_says_so(client, due, monkeypatch):
    case, key = due

    def broken(**kwargs):
        event_record(case=kwargs["case"], code="case.viewed_by_reporter")
        raise RuntimeError("disk full")

    monkeypatch.setattr("intake.services.case_checkin_record", broken)
    response = client.post(CHECKIN, {"answer": "yes", "form_key": key, "message": "Kept?"})
    assert response.status_code == 503
    assert "could not be saved" in response.content.decode()
    assert "Kept?" in response.content.decode()  # what they typed is still there
    case.refresh_from_db()
    assert case.checkin_answer == "" and not Message.objects.filter(case=case).exists()
    assert client.post(CHECKIN, {"answer": "yes", "form_key": key}).status_code == 503


# --- A "yes" that opens a linked new case ---------------------------------------------------


def test_a_yes_can_open_a_new_case_that_names_nothing_of_the_old_one(client, db):
    case, token = _closed_case(weeks=4, opens_case=True)
    with _at(CLOSED_ON + dt.timedelta(weeks=5)):
        key = _follow(client, token)
        words = "They left me off the rota."
        response = client.post(CHECKIN, {"answer": "yes", "form_key": key, "message": words})
    assert response.status_code == 200
    assert "We have opened a new case" in response.content.decode()
    case.refresh_from_db()
    new = case.checkin_case
    assert new is not None and new.pk != case.pk
    assert new.case_type_id == case.case_type_id and new.state == "received"
    assert case.reopened_by_checkin_on == CLOSED_ON + dt.timedelta(weeks=5)
    assert case.attention_since is None  # the new case is the work, in triage
    # The reporter's message is the new case's report, sealed under its own key.
    assert case_content(new).answers == {"what_happened": words}
    assert not Message.objects.filter(case=case).exists()
    # The new case carries nothing that leads back: no link, no category or unit, no contact,
    # and its events name nothing of the old case.
    assert new.checkin_case_id is None and new.category_id is None and new.org_unit_id is None
    assert new.reporter_contact is None and not new.reporter_named
    assert Case.objects.filter(checkin_case=case).count() == 0
    new_events = CaseEvent.objects.filter(case=new)
    assert sorted(e.code for e in new_events) == ["case.created", "case.opened_by_checkin"]
    assert all(case.reference not in str(e.payload) for e in new_events)
    assert CaseEvent.objects.get(case=case, code="case.checkin_opened_case").payload == {
        "linked": new.reference
    }


def test_a_no_never_opens_a_new_case(client, db):
    _case, token = _closed_case(weeks=4, opens_case=True)
    with _at(CLOSED_ON + dt.timedelta(weeks=5)):
        key = _follow(client, token)
        client.post(CHECKIN, {"answer": "no", "form_key": key})
    assert Case.objects.count() == 1


def test_the_service_itself_refuses_a_second_answer_and_an_open_case(db):
    from cases.exceptions import CheckinClosed
    from cases.models import CheckinAnswer
    from intake.services import checkin_answer

    case, _ = _closed_case(weeks=0, opens_case=True)
    open_case, _ = _closed_case(weeks=0, state="investigation")
    with _at(CLOSED_ON):
        checkin_answer(case=case, answer=CheckinAnswer.YES, message="")
        for refused in (case, open_case):
            with pytest.raises(CheckinClosed):
                checkin_answer(case=refused, answer=CheckinAnswer.YES, message="")
    assert Case.objects.count() == 3  # the one new case of the first "yes", no other
    assert CaseEvent.objects.filter(code="case.checkin_answered").count() == 1


def test_an_answer_sent_from_another_tab_meanwhile_gets_the_thank_you(client, due, monkeypatch):
    """Two tabs: the page was drawn before the other tab's answer was recorded."""
    from cases.models import CheckinAnswer
    from intake.services import checkin_answer

    case, key = due
    checkin_answer(case=case, answer=CheckinAnswer.NO, message="")
    monkeypatch.setattr("intake.views.checkin_status", lambda case: CheckinStatus.ASKED)
    answer = client.post(CHECKIN, {"answer": "yes", "form_key": key})
    assert answer.status_code == 409 and "Thank you for answering" in answer.content.decode()
    case.refresh_from_db()
    assert case.checkin_answer == "no" and case.attention_since is None
