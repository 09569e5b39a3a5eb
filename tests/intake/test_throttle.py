"""Token guesses are throttled per browser and per address and never lock a case: colleagues
behind one address never hold each other up, an attacker there gets about a hundred answers
an hour, and another client still gets in. Counts are taken before the work they guard."""

import datetime as dt
import logging
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from cases.models import Case
from intake import throttle
from intake.followup import COOKIE
from tests.builders import make_case
from tests.intake.conftest import answers

ATTACKER: dict[str, Any] = {"REMOTE_ADDR": "198.51.100.9"}
REPORTER: dict[str, Any] = {"REMOTE_ADDR": "198.51.100.20"}
OFFICE: dict[str, Any] = {"REMOTE_ADDR": "192.0.2.44"}
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _token(client, case_type):
    page = client.post("/report/whistleblowing/send/", answers(case_type), **REPORTER)
    return re.search(rb'id="token">([0-9A-Z-]+)<', page.content).group(1).decode()


def _ticket(client, **where) -> str:
    page = client.get("/follow-up/", **where).content.decode()
    return re.search(r'name="ticket" value="([^"]+)"', page).group(1)


@pytest.mark.slow
def test_ten_thousand_wrong_tokens_from_one_client_get_at_most_a_hundred_answers(
    client, whistleblowing
):
    token = _token(client, whistleblowing)
    answered = refused = 0
    with time_machine.travel(START, tick=False) as clock:
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


@pytest.mark.slow
def test_an_attacker_with_a_fresh_browser_for_every_guess_still_gets_about_a_hundred_an_hour(
    whistleblowing,
):
    attacker = Client()
    answered = 0
    with time_machine.travel(START, tick=False) as clock:
        for attempt in range(600):
            clock.shift(dt.timedelta(seconds=5))  # 600 guesses over 50 minutes
            ticket = _ticket(attacker, **OFFICE)
            status = attacker.post(
                "/follow-up/", {"token": f"WRONG{attempt:023d}", "ticket": ticket}, **OFFICE
            ).status_code
            answered += status != 429
    assert answered == 100


@pytest.mark.slow
def test_fifty_colleagues_behind_one_address_each_make_a_typo_and_all_get_in(
    whistleblowing,
):
    tokens = [make_case(case_type=whistleblowing, with_token=True)[1] for _ in range(50)]
    with time_machine.travel(START, tick=False) as clock:
        for n, token in enumerate(tokens):
            clock.shift(dt.timedelta(seconds=1))  # all fifty within a minute
            colleague = Client()
            ticket = _ticket(colleague, **OFFICE)
            mistyped = token[:-1] + ("1" if token[-1] != "1" else "2")
            typo = colleague.post("/follow-up/", {"token": mistyped, "ticket": ticket}, **OFFICE)
            assert typo.status_code == 404, n
            assert f'name="ticket" value="{ticket}"' in typo.content.decode()
            right = colleague.post("/follow-up/", {"token": token, "ticket": ticket}, **OFFICE)
            assert right.status_code == 302 and COOKIE in right.cookies, n


def test_one_browsers_typos_slow_that_browser_not_its_colleagues(client, whistleblowing):
    token = _token(client, whistleblowing)
    with time_machine.travel(START, tick=False) as clock:
        mine = _ticket(client, **OFFICE)
        for _ in range(5):
            client.post("/follow-up/", {"token": "wrong", "ticket": mine}, **OFFICE)
        waiting = client.post("/follow-up/", {"token": token, "ticket": mine}, **OFFICE)
        assert waiting.status_code == 429
        colleague = Client()
        theirs = _ticket(colleague, **OFFICE)
        entered = colleague.post("/follow-up/", {"token": token, "ticket": theirs}, **OFFICE)
        assert entered.status_code == 302
        clock.shift(dt.timedelta(minutes=1))
        again = client.post("/follow-up/", {"token": token, "ticket": mine}, **OFFICE)
        assert again.status_code == 302


def test_under_a_broad_attack_a_client_with_failures_is_refused_and_a_clean_one_answered(
    client, whistleblowing, monkeypatch
):
    token = _token(client, whistleblowing)
    monkeypatch.setattr(
        throttle, "TOKEN_FAILURES_GLOBAL", throttle.Limit("token-fail-global", 20, 3600)
    )
    with time_machine.travel(START, tick=False):
        for n in range(20):  # twenty addresses, one wrong token each: the global limit
            bot = {"REMOTE_ADDR": f"203.0.113.{n + 1}"}
            assert client.post("/follow-up/", {"token": "wrong"}, **bot).status_code == 404
        failed_before = {"REMOTE_ADDR": "203.0.113.1"}
        refused = client.post("/follow-up/", {"token": token}, **failed_before)
        assert refused.status_code == 429
        clean = {"REMOTE_ADDR": "198.51.100.77"}
        assert client.post("/follow-up/", {"token": "wrong"}, **clean).status_code == 404
        assert client.post("/follow-up/", {"token": token}, **REPORTER).status_code == 302
        # The clean client has failed once now: it waits with the others.
        assert client.post("/follow-up/", {"token": token}, **clean).status_code == 429


def test_token_counts_are_taken_before_the_lookup_so_parallel_guesses_cannot_slip_past(
    rf, whistleblowing
):
    # Six guesses from one browser arrive together: all six are counted before any is
    # looked up, so the sixth is refused although no lookup has finished.
    with time_machine.travel(START, tick=False):
        requests = [rf.post("/follow-up/", {"token": "x"}, **ATTACKER) for _ in range(6)]
        begun = []
        for request in requests[:5]:
            begun.append(throttle.token_guess_begin(request))
        with pytest.raises(throttle.GuessRefused):
            throttle.token_guess_begin(requests[5])
        # A correct token gives its count back: that browser may guess again at once.
        throttle.token_guess_end(begun[0], found=True)
        throttle.token_guess_begin(requests[5])


def test_reports_are_counted_before_they_are_saved(rf, whistleblowing):
    with time_machine.travel(START, tick=False):
        requests = [rf.post("/report/whistleblowing/send/", **REPORTER) for _ in range(31)]
        admitted = [throttle.report_admit(request) for request in requests]
        assert admitted == [True] * 30 + [False]
        throttle.report_release(requests[0])  # one of them failed to save: its place is back
        assert throttle.report_admit(requests[30])


def test_past_the_overall_limit_only_addresses_not_yet_answered_this_hour_get_in(
    rf, whistleblowing, monkeypatch, caplog
):
    monkeypatch.setattr(throttle, "REPORTS_GLOBAL", throttle.Limit("report-global", 4, 3600))
    a, b, c = ({"REMOTE_ADDR": f"203.0.113.{n}"} for n in (1, 2, 3))
    with time_machine.travel(START, tick=False), caplog.at_level(logging.CRITICAL):
        sent = [
            throttle.report_admit(rf.post("/report/whistleblowing/send/", **who))
            for who in (a, a, b, b, a, b, c, c, a)
        ]
        # By hand: four fill the hour's overall limit; then A and B, answered already, are
        # refused; C, new this hour, gets in once; and A again is refused.
        assert sent == [True, True, True, True, False, False, True, False, False]
    alerts = [r for r in caplog.records if "global limit" in r.getMessage()]
    assert len(alerts) == 1  # once an hour, however many are refused


@pytest.mark.slow
def test_a_flood_of_reports_does_not_silence_a_reporter_elsewhere(
    client, whistleblowing, monkeypatch
):
    monkeypatch.setattr(throttle, "REPORTS_GLOBAL", throttle.Limit("report-global", 3, 3600))
    send = "/report/whistleblowing/send/"
    with time_machine.travel(START, tick=False):
        for n in range(3):  # one address fills the hour's overall limit
            key = f"flood-{n:026d}"
            flood = client.post(send, answers(whistleblowing, submission_key=key), **ATTACKER)
            assert flood.status_code == 200
        more = client.post(send, answers(whistleblowing, submission_key="f" * 32), **ATTACKER)
        assert more.status_code == 429
        mine = client.post(send, answers(whistleblowing, submission_key="r" * 32), **REPORTER)
        assert mine.status_code == 200
    assert Case.objects.count() == 4


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


@pytest.mark.slow
def test_a_repeated_send_does_not_use_up_the_hour(client, whistleblowing):
    for _ in range(40):  # the same form, sent again and again (reloads)
        client.post("/report/whistleblowing/send/", answers(whistleblowing), **REPORTER)
    fresh = client.post(
        "/report/whistleblowing/send/", answers(whistleblowing, submission_key="n" * 32), **REPORTER
    )
    assert fresh.status_code == 200 and Case.objects.count() == 2
