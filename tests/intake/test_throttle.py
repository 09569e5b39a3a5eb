"""Token guesses are throttled per client and never lock a case: another client still gets in."""

import datetime as dt
import re

import pytest
import time_machine

from cases.models import Case
from intake.followup import COOKIE
from tests.intake.conftest import answers

ATTACKER = {"REMOTE_ADDR": "198.51.100.9"}
REPORTER = {"REMOTE_ADDR": "198.51.100.20"}


def _token(client, case_type):
    page = client.post("/report/whistleblowing/send/", answers(case_type), **REPORTER)
    return re.search(rb'id="token">([0-9A-Z-]+)<', page.content).group(1).decode()


@pytest.mark.slow
def test_ten_thousand_wrong_tokens_from_one_client_get_at_most_a_hundred_answers(
    client, whistleblowing
):
    token = _token(client, whistleblowing)
    answered = refused = 0
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        for attempt in range(10_000):
            if attempt and attempt % 100 == 0:
                clock.shift(dt.timedelta(seconds=21))  # 10,000 guesses spread over ~35 minutes
            status = client.post(
                "/follow-up/", {"token": f"WRONG{attempt:023d}"[:28]}, **ATTACKER
            ).status_code
            if status == 429:
                refused += 1
            else:
                assert status in (400, 404)
                answered += 1
            if attempt == 5:
                # From the 6th failure within the minute, answers are refused.
                assert status == 429
        assert answered <= 100 and refused >= 9_900
        # A correct token from another client still succeeds, at the same moment.
        other = client.post("/follow-up/", {"token": token}, **REPORTER)
        assert other.status_code == 302 and COOKIE in other.cookies
        # ...and even the attacker's own correct token waits: the throttle reads no token.
        assert client.post("/follow-up/", {"token": token}, **ATTACKER).status_code == 429
    assert Case.objects.count() == 1


def test_a_shared_office_address_is_slowed_not_locked_out(client, whistleblowing):
    token = _token(client, whistleblowing)
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            client.post("/follow-up/", {"token": "wrong"}, **REPORTER)
        assert client.post("/follow-up/", {"token": token}, **REPORTER).status_code == 429
        clock.shift(dt.timedelta(minutes=1))
        assert client.post("/follow-up/", {"token": token}, **REPORTER).status_code == 302


@pytest.mark.slow
def test_reports_are_limited_per_client_per_hour(client, whistleblowing):
    for n in range(30):
        assert (
            client.post(
                "/report/whistleblowing/send/",
                answers(whistleblowing, submission_key=f"key-{n:030d}"),
                **REPORTER,
            ).status_code
            == 200
        )
    busy = client.post(
        "/report/whistleblowing/send/",
        answers(whistleblowing, submission_key="key-last" + "x" * 24),
        **REPORTER,
    )
    assert busy.status_code == 429
    assert "Nothing you typed has been stored" in busy.content.decode()
    assert Case.objects.count() == 30


def test_reporting_goes_on_when_the_cache_is_down(client, whistleblowing, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("get", "add", "incr"):
        monkeypatch.setattr(cache, name, broken)
    token_page = client.post("/report/whistleblowing/send/", answers(whistleblowing), **REPORTER)
    assert token_page.status_code == 200
    token = re.search(rb'id="token">([0-9A-Z-]+)<', token_page.content).group(1).decode()
    assert client.post("/follow-up/", {"token": token}, **REPORTER).status_code == 302
