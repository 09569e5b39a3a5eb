"""The token stays on screen until the reporter confirms they have kept it, and no fault after
the report is committed can hide it."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import OperationalError, connection, transaction
from django.test import Client

from cases.models import Case
from intake.showagain import COOKIE
from tests.intake.conftest import answers

SEND = "/report/whistleblowing/send/"


def _token(response) -> str:
    match = re.search(rb'id="token">([0-9A-Z-]+)<', response.content)
    assert match, f"no token on the page (status {response.status_code})"
    return match.group(1).decode()


def _show_again(response) -> str:
    return re.search(r'name="show_again" value="([^"]+)"', response.content.decode()).group(1)


def test_continue_without_the_box_ticked_shows_the_same_token_with_an_error(client, whistleblowing):
    sent = client.post(SEND, answers(whistleblowing))
    token = _token(sent)
    again = client.post("/your-token/", {"show_again": _show_again(sent)})
    assert again.status_code == 400
    text = again.content.decode()
    assert _token(again) == token
    assert "There is a problem" in text and 'href="#kept"' in text
    assert "Tick the box to confirm you have written down or saved your case token" in text
    assert text.count('id="kept"') == 1 and "<title>Error:" in text


def test_reload_and_back_show_the_token_again_within_ten_minutes(client, whistleblowing):
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        token = _token(client.post(SEND, answers(whistleblowing)))
        clock.shift(dt.timedelta(minutes=9))
        assert _token(client.get("/your-token/")) == token
        clock.shift(dt.timedelta(minutes=2))
        gone = client.get("/your-token/")
        assert gone.status_code == 410 and b'id="token"' not in gone.content
        assert b"cannot be shown again" in gone.content


def test_confirming_spends_the_show_again_for_good(client, whistleblowing):
    sent = client.post(SEND, answers(whistleblowing))
    sealed = _show_again(sent)
    confirmed = client.post("/your-token/", {"show_again": sealed, "kept": "yes"})
    assert confirmed.status_code == 302
    assert confirmed.cookies[COOKIE].value == ""
    assert client.get("/your-token/").status_code == 410
    # The same sealed value, posted again (the Back button, or someone else at the screen).
    replayed = Client().post("/your-token/", {"show_again": sealed})
    assert replayed.status_code == 410 and b'id="token"' not in replayed.content


def test_without_cookies_the_page_itself_keeps_the_token_on_screen(whistleblowing):
    browser = Client()
    sent = browser.post(SEND, answers(whistleblowing))
    token = _token(sent)
    browser.cookies.clear()  # a browser that refuses cookies
    again = browser.post("/your-token/", {"show_again": _show_again(sent)})
    assert again.status_code == 400 and _token(again) == token


def test_a_show_again_value_cannot_be_forged_or_moved_to_another_report(client, whistleblowing):
    first = client.post(SEND, answers(whistleblowing, submission_key="a" * 32))
    other = Client()
    second = other.post(SEND, answers(whistleblowing, submission_key="b" * 32))
    assert _token(first) != _token(second)
    # Sending the first form again from the second browser shows no token: its value is bound
    # to the form it was made for.
    repeat = other.post(SEND, answers(whistleblowing, submission_key="a" * 32))
    assert repeat.status_code == 409 and b'id="token"' not in repeat.content
    sealed = _show_again(first)
    forged = sealed[:-6] + ("AAAAAA" if not sealed.endswith("AAAAAA") else "BBBBBB")
    assert Client().post("/your-token/", {"show_again": forged}).status_code == 410
    assert Case.objects.count() == 2


@pytest.fixture
def database_fails_after_commit():
    """From the moment the report's transaction commits, every query fails."""
    state = {"failing": False}

    def fail(execute, sql, params, many, context):
        if state["failing"]:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    def arm(**kwargs):
        state["failing"] = True

    with connection.execute_wrapper(fail):
        yield state, arm


# Files a report and replays it against a failing database: over the fast pass's budget.
@pytest.mark.slow
def test_a_database_failure_just_after_the_commit_cannot_hide_the_token(
    whistleblowing_committed, database_fails_after_commit, monkeypatch
):
    from workflows.services import case_file as real

    case_type = whistleblowing_committed
    state, arm = database_fails_after_commit

    def create_then_fail_after_commit(**kwargs):
        transaction.on_commit(arm)  # runs the moment the report's transaction commits
        return real(**kwargs)

    monkeypatch.setattr("intake.services.case_file", create_then_fail_after_commit)
    browser = Client(raise_request_exception=False)
    sent = browser.post(SEND, answers(case_type))
    assert state["failing"], "the database was never failed: the test proves nothing"
    assert sent.status_code == 200
    token = _token(sent)
    # Even a reload while the database is still down shows it.
    reloaded = browser.get("/your-token/")
    assert reloaded.status_code == 200 and _token(reloaded) == token
    state["failing"] = False
    assert Case.objects.count() == 1
