"""The follow-up page's time limit (issue 16, section 3): said up front, kept open by a button
that works without a script (and by the script's warning), a message typed as it ended kept in
the page and sent once the token is entered again, never stored before; and "Message sent"."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail

from cases.models import Case, CaseEvent, Category, Message, MessageKind
from cases.selectors import message_list_for_case
from intake.followup import COOKIE
from tests.builders import make_case_type
from tests.dbdump import dump_values
from tests.intake.conftest import answers
from tests.intake.test_journey import _send, _token

pytestmark = pytest.mark.django_db

KEPT = "Marker 7Q3X: the second invoice was approved by the same person."


def _follow(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    assert client.post("/follow-up/", {"token": token}).status_code == 302
    text = client.get("/follow-up/case/").content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', text).group(1)
    return token, form_key, text


def _reporter_bodies():
    case = Case.objects.get()
    return [
        m.body
        for m in message_list_for_case(case, include_internal=False)
        if m.kind == MessageKind.FROM_REPORTER
    ]


def test_the_page_says_the_limit_and_offers_to_keep_it_open(client, whistleblowing):
    _, _, text = _follow(client, whistleblowing)
    assert "this page ends after 15 minutes without activity" in text
    assert 'action="/follow-up/keep/"' in text and 'data-idle-seconds="900"' in text
    assert "Your follow-up will end soon" in text  # the script's warning, in the page


def test_keeping_it_open_without_a_script_slides_the_limit_and_comes_back(client, whistleblowing):
    _, form_key, _ = _follow(client, whistleblowing)
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        kept = client.post("/follow-up/keep/", {"form_key": form_key})
        assert kept.status_code == 302 and kept["Location"] == "/follow-up/case/"
        assert COOKIE in kept.cookies
    # 14 + 14 minutes after the token: alive only because the button counted as activity.
    with time_machine.travel(start + dt.timedelta(minutes=28), tick=False):
        assert client.get("/follow-up/case/").status_code == 200


def test_the_script_keeps_it_open_with_an_empty_answer(client, whistleblowing):
    _, form_key, _ = _follow(client, whistleblowing)
    answer = client.post("/follow-up/keep/", {"form_key": form_key, "js": "1"})
    assert answer.status_code == 204 and answer.content == b""
    assert COOKIE in answer.cookies


@pytest.mark.parametrize("form_key", ["", "forged"])
def test_keeping_open_needs_the_pages_form_key(client, whistleblowing, form_key):
    _follow(client, whistleblowing)
    answer = client.post("/follow-up/keep/", {"form_key": form_key, "js": "1"})
    assert answer.status_code == 403
    assert "Your follow-up has ended" in answer.content.decode()
    assert COOKIE not in answer.cookies


def test_keeping_open_after_the_end_does_not_revive_it(client, whistleblowing):
    _, form_key, _ = _follow(client, whistleblowing)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16), tick=False):
        assert client.post("/follow-up/keep/", {"form_key": form_key}).status_code == 403
        assert client.get("/follow-up/case/").status_code == 403


def test_a_message_sent_says_so_once(client, whistleblowing):
    _, form_key, _ = _follow(client, whistleblowing)
    sent = client.post("/follow-up/reply/", {"body": "More detail.", "form_key": form_key})
    assert sent.status_code == 302 and sent["Location"] == "/follow-up/case/?sent=1"
    assert "Your message has been sent." in client.get(sent["Location"]).content.decode()
    assert "Your message has been sent." not in client.get("/follow-up/case/").content.decode()


def test_a_message_typed_as_the_follow_up_ended_is_kept_in_the_page_only(client, whistleblowing):
    token, form_key, _ = _follow(client, whistleblowing)
    messages_before = Message.objects.count()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16), tick=False):
        ended = client.post("/follow-up/reply/", {"body": KEPT, "form_key": form_key})
    assert ended.status_code == 403
    page = ended.content.decode()
    assert "Your follow-up has ended" in page
    assert "Your message has not been sent yet" in page
    assert KEPT in page  # in the page, to be sent with the token
    assert 'action="/follow-up/"' in page and 'name="ticket"' in page
    # Nothing of it stored: no message, and the marker in no table.
    assert Message.objects.count() == messages_before
    assert [table for table, value in dump_values() if b"7Q3X" in value] == []

    # A wrong token keeps it too, and still sends nothing.
    ticket = re.search(r'name="ticket" value="([^"]*)"', page).group(1)
    wrong = client.post("/follow-up/", {"token": "AAAA-BBBB", "ticket": ticket, "body": KEPT})
    assert wrong.status_code == 404 and KEPT in wrong.content.decode()
    assert Message.objects.count() == messages_before

    sent = client.post("/follow-up/", {"token": token, "ticket": ticket, "body": KEPT})
    assert sent.status_code == 302 and sent["Location"] == "/follow-up/case/?sent=1"
    assert _reporter_bodies()[-1] == KEPT
    assert "Your message has been sent." in client.get(sent["Location"]).content.decode()


def test_the_token_alone_sends_no_message_and_says_none_was_sent(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    answer = client.post("/follow-up/", {"token": token, "body": "   "})
    assert answer.status_code == 302 and answer["Location"] == "/follow-up/case/"
    assert _reporter_bodies() == []


def test_a_kept_message_too_long_is_refused_with_the_token_form(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    answer = client.post("/follow-up/", {"token": token, "body": "x" * 10_001})
    assert answer.status_code == 400
    assert "Error:" in answer.content.decode()
    assert _reporter_bodies() == [] and COOKIE not in answer.cookies


def test_a_trend_only_report_takes_no_kept_message(client, whistleblowing):
    trend = make_case_type(slug="trends", name="Trends", workflow="trend_only")
    Category.objects.create(case_type=trend, slug="other", name="Other")
    token = _token(client.post("/report/trends/send/", answers(trend)))
    answer = client.post("/follow-up/", {"token": token, "body": KEPT})
    assert answer.status_code == 302 and answer["Location"] == "/follow-up/case/"
    assert _reporter_bodies() == []


def test_the_welsh_page_says_the_limit_in_welsh(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    client.post("/cy/follow-up/", {"token": token})
    text = client.get("/cy/follow-up/case/").content.decode()
    assert "heb weithgarwch" in text and "Cadw fy sesiwn dilyn ar agor" in text
    assert not mail.outbox
    assert CaseEvent.objects.filter(code="case.viewed_by_reporter").exists()
