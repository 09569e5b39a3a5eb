"""The soak run (bench/soak.py): its two-factor codes against the RFCs' vectors, its cookie
policy, its pacing of reports, and rounds of each kind against a live server with the demo
data: a report filed and followed up with a reply, the handler's pages, the health check, a
session that ended, and a report refused by the throttle."""

from __future__ import annotations

import email.message
import http.cookiejar
import io
import re
import urllib.request

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command

from bench import soak
from cases.models import Case, Message, MessageKind
from intake import throttle
from ops.services import heartbeat_record

# RFC 4226, appendix D: HOTP of the ASCII key "12345678901234567890", counters 0 to 9.
RFC_4226 = [
    "755224", "287082", "359152", "969429", "338314",
    "254676", "287922", "162583", "399871", "520489",
]  # fmt: skip
# RFC 6238, appendix B, the SHA-1 rows: the same key, 8 digits, 30-second steps.
RFC_6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
RFC_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"


def test_hotp_matches_rfc_4226():
    assert [soak.hotp(b"12345678901234567890", n) for n in range(10)] == RFC_4226


@pytest.mark.parametrize(("at", "code"), RFC_6238_SHA1)
def test_totp_matches_rfc_6238_sha1(at, code):
    assert soak.totp(RFC_KEY_BASE32, at, digits=8) == code


def test_totp_of_the_demo_secret_is_the_code_allauth_accepts():
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    for at in (0, 59, 1_800_000_000, 1_800_000_029, 1_800_000_030):
        expected = format_hotp_value(hotp_value(soak.DEMO_TOTP_SECRET, at // 30))
        assert soak.totp(soak.DEMO_TOTP_SECRET, at) == expected
    # Spaces and small letters, as an authenticator app shows the secret, are the same.
    assert soak.totp("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", 59) == soak.totp(
        soak.DEMO_TOTP_SECRET, 59
    )


@pytest.mark.parametrize(
    ("at", "last_counter", "wait"),
    [
        (100.0, None, 0.0),  # never signed in
        (100.0, 2, 0.0),  # last code in an earlier period
        (100.0, 3, 20.0),  # this period's code is used: wait for 120
        (119.5, 3, 0.5),
        (120.0, 3, 0.0),
    ],
)
def test_a_second_sign_in_in_the_same_period_waits_for_the_next_code(at, last_counter, wait):
    assert soak.totp_wait(at, last_counter) == wait


def _request(url: str) -> urllib.request.Request:
    return urllib.request.Request(url)  # noqa: S310 (never opened: only its cookies are read)


def _jar_after_set_cookie(policy: http.cookiejar.CookiePolicy, url: str):
    """A jar that got the follow-up's cookie from ``url``'s answer, as the app sets it."""
    jar = http.cookiejar.CookieJar(policy=policy)
    headers = email.message.Message()
    headers["Set-Cookie"] = (
        "__Host-speakup-followup=sealed; Path=/; Max-Age=900; Secure; HttpOnly; SameSite=Strict"
    )
    answer = type("Answer", (), {"info": lambda self: headers})()
    jar.extract_cookies(answer, _request(url))
    return jar


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://127.0.0.1:8000/follow-up/case/", True),
        ("http://localhost:8000/follow-up/case/", True),
        ("http://example.org/follow-up/case/", False),  # not loopback: https only
        ("https://example.org/follow-up/case/", True),
    ],
)
def test_secure_cookies_go_back_over_http_only_to_loopback(url, sent):
    request = _request(url)
    _jar_after_set_cookie(soak.LoopbackCookiePolicy(), url).add_cookie_header(request)
    assert request.has_header("Cookie") is sent


def test_without_the_policy_the_follow_up_cookie_never_comes_back_over_http():
    url = "http://127.0.0.1:8000/follow-up/case/"
    request = _request(url)
    _jar_after_set_cookie(http.cookiejar.DefaultCookiePolicy(), url).add_cookie_header(request)
    assert not request.has_header("Cookie")


@pytest.mark.parametrize(
    ("seconds", "every", "reports"),
    [
        (1800, 150, 13),
        (3600, 150, 25),
        (7200, 150, 25),  # the busiest hour, not the whole run
        (1800, 60, 31),
        (3600, 124, 30),
        (3600, 120, 31),
    ],
)
def test_reports_in_the_busiest_hour(seconds, every, reports):
    assert soak.reports_in_an_hour(seconds, every) == reports


def test_an_address_s_hourly_limit_of_reports_is_the_app_s():
    assert throttle.REPORTS_PER_HOUR.count == soak.REPORTS_PER_HOUR == 30
    assert throttle.REPORTS_PER_HOUR.seconds == 3600


@pytest.mark.parametrize(
    "arguments",
    [
        ["--minutes", "30", "--report-every", "60"],  # 31 reports in the first hour
        ["--minutes", "90", "--report-every", "120"],
        ["--base", "http://example.org:8000"],  # not loopback
        ["--base", "https://127.0.0.1:8000"],
        ["--base", "ftp://127.0.0.1"],
        ["--minutes", "0"],
        ["--staff-every", "-1"],
    ],
)
def test_a_run_that_would_break_a_limit_or_leave_loopback_is_refused(
    arguments, capsys, monkeypatch
):
    def never(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(soak, "run", never)
    lines: list[str] = []
    with pytest.raises(SystemExit) as refused:
        soak.main(arguments, out=lines.append)
    assert refused.value.code == 2
    assert lines == []  # refused before any request


def test_the_default_pace_is_allowed_for_long_runs():
    assert soak.reports_in_an_hour(30 * 60, 150) <= soak.REPORTS_PER_HOUR
    assert soak.reports_in_an_hour(24 * 3600, 150) <= soak.REPORTS_PER_HOUR


class _Rounds:
    """Stands in for a Soak on a clock of its own: each round takes the seconds given."""

    def __init__(self, took: dict[str, float]) -> None:
        self.now, self.took = 0.0, took
        self.done: dict[str, list[float]] = {"reporter": [], "staff": [], "health": []}
        self.reporter = self.case_list_or_sign_in = self.health = None

    def round(self, kind, work):
        self.done[kind].append(self.now)
        self.now += self.took.get(kind, 0.0)

    def sleep(self, seconds):
        assert seconds > 0
        self.now += seconds


EVERY = {"reporter": 150.0, "staff": 10.0, "health": 10.0}


@pytest.mark.parametrize(
    ("seconds", "took", "reporter", "staff"),
    [
        # Each at once, then on its period; nothing starts once the time is up.
        (30, {}, [0], [0, 10, 20]),
        (180, {}, [0, 150], [10.0 * n for n in range(18)]),
        # However short the run, each kind of round runs once.
        (1, {"reporter": 5}, [0], [5]),
        # Late by less than a period: back on the grid. By a period or more: the grid moves
        # on, and a round never runs twice in a row to catch up.
        (30, {"reporter": 5}, [0], [5, 10, 20]),
        (30, {"reporter": 15}, [0], [15, 25]),
        (40, {"reporter": 25}, [0], [25, 35]),
        (320, {"reporter": 100}, [0, 150, 300], [100, 110, 120, 130, 140, 250, 260, 270, 280,
                                                  290]),
    ],
)  # fmt: skip
def test_rounds_keep_to_their_periods(seconds, took, reporter, staff):
    rounds = _Rounds(took)
    soak.run(rounds, seconds, EVERY, clock=lambda: rounds.now, sleep=rounds.sleep)  # type: ignore[arg-type]
    assert rounds.done["reporter"] == reporter
    assert rounds.done["staff"] == staff


# --- Against a live server with the demo data -------------------------------------------------

# A case token as the token page shows it: seven groups of four (cases/tokens.py).
TOKEN_SHAPE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){6}")


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", scale=0.02, stdout=io.StringIO())
    heartbeat_record(name="beat")  # as beat would have a minute ago: /healthz says ok


def _run(live_server, *arguments: str) -> tuple[int, str]:
    lines: list[str] = []
    code = soak.main(["--base", live_server.url, "--minutes", "0.02", *arguments], lines.append)
    return code, "\n".join(lines)


def _count(text: str, who: str, page: str, method: str, status: int) -> int:
    return len(re.findall(rf"^\S+ {who} +{page} +{method} +{status} ", text, re.MULTILINE))


@pytest.mark.slow
def test_one_round_files_a_report_gets_a_reply_in_and_opens_the_handler_s_pages(live_server, demo):
    before = set(Case.objects.values_list("pk", flat=True))
    code, text = _run(live_server)
    assert code == 0, text
    [new] = Case.objects.exclude(pk__in=before)
    assert Message.objects.filter(case=new, kind=MessageKind.FROM_REPORTER).count() == 1
    expected = [
        ("reporter", "send report", "POST", 200),
        ("reporter", "token entered", "POST", 302),
        ("reporter", "reply", "POST", 302),
        ("reporter", "follow-up case", "GET", 200),
        ("staff", "sign-in password", "POST", 302),
        ("staff", "sign-in code", "POST", 302),
        ("staff", "case list", "GET", 200),
        ("staff", "case page", "GET", 200),
        ("health", "healthz", "GET", 200),
    ]
    assert [_count(text, *row) > 0 for row in expected] == [True] * len(expected), text
    assert "heartbeat ok" in text
    assert "reporter rounds: 1 (1 ok, 0 failed)" in text
    assert "failures: none" in text and "exceptions: none" in text
    # Nothing that points at the case or its reporter is printed.
    assert not TOKEN_SHAPE.search(text)
    assert str(new.pk) not in text and new.reference not in text
    assert "Soak report" not in text and "Soak reply" not in text


@pytest.mark.slow
def test_a_handler_whose_session_ended_signs_in_again(live_server, demo):
    lines: list[str] = []
    tally = soak.Tally(lines.append)
    run = soak.Soak(live_server.url + "/", tally)
    run.round("staff", run.case_list_or_sign_in)
    run.round("staff", run.case_list_or_sign_in)
    Session.objects.all().delete()
    # The code just typed stays used for its period (allauth's cache): forget it, so that the
    # second sign-in need not wait up to 30 s for the next one (totp_wait is tested above).
    cache.clear()
    run.last_counter = None
    run.round("staff", run.case_list_or_sign_in)
    assert tally.rounds["staff", "ok"] == 3 and not tally.failed
    assert tally.sign_ins == 2
    assert tally.requests["case list", 302] == 1  # sent to the sign-in
    assert tally.requests["case list", 200] == 3
    assert tally.requests["case page", 200] == 3
    assert any("session ended: signing in again" in line for line in lines)


@pytest.mark.slow
def test_after_a_failed_round_the_handler_starts_again_in_a_fresh_browser(
    live_server, demo, monkeypatch
):
    tally = soak.Tally(lambda line: None)
    run = soak.Soak(live_server.url + "/", tally)
    monkeypatch.setattr(soak, "_CASE_LINK", re.compile(r"no link looks like this"))
    run.round("staff", run.case_list_or_sign_in)  # signed in, then no case to open
    assert tally.failures == ["case list: no case to open"] and tally.sign_ins == 1
    monkeypatch.undo()
    cache.clear()  # as above: no wait for the next code
    run.last_counter = None
    run.round("staff", run.case_list_or_sign_in)
    assert tally.rounds["staff", "ok"] == 1 and tally.sign_ins == 2
    assert tally.requests["sign-in form", 200] == 2  # not sent away as already signed in
    assert tally.requests["case page", 200] == 1


@pytest.mark.slow
def test_a_report_refused_with_429_fails_the_run_and_is_not_sent_again(
    live_server, demo, monkeypatch
):
    monkeypatch.setattr(throttle, "REPORTS_PER_HOUR", throttle.Limit("report-hour", 0, 3600))
    before = Case.objects.count()
    code, text = _run(live_server)
    assert code == 1
    assert _count(text, "reporter", "send report", "POST", 429) == 1
    assert _count(text, "reporter", "token kept", "POST", 302) == 0  # the round ended there
    assert "1 x send report: status 429, expected 200" in text
    assert "reporter rounds: 1 (0 ok, 1 failed)" in text
    assert "staff    rounds: 1 (1 ok, 0 failed)" in text  # the others carried on
    assert Case.objects.count() == before


@pytest.mark.slow
def test_an_unhealthy_service_fails_the_run_and_says_what(live_server, demo, settings):
    settings.SPEAKUP_HEARTBEAT_STALE_SECONDS = 0  # every heartbeat is already stale
    code, text = _run(live_server)
    assert code == 1
    assert _count(text, "health", "healthz", "GET", 503) == 1
    assert "heartbeat stale" in text and "failing: heartbeat" in text
    assert "1 x healthz: status 503, expected below 400" in text
