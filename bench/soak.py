"""The soak run: steady traffic against a running app for as long as asked, as its people
would make it, then a summary; non-zero exit if anything failed.

    scripts/run                      # in one terminal (SQLite, demo data, worker and beat)
    python -m bench.soak --base http://127.0.0.1:8000 --minutes 30

Three things, each on its own period, until the minutes are up:
- every 150 s, an anonymous reporter: the start page, a report (questions, check your
  answers, send), the case token read off the token page and confirmed as kept, the token
  entered on the follow-up page, a reply sent and seen on the case page, then signing out;
- every 10 s, the demo handler: signed in once through allauth (password, then a TOTP code
  made here from the demo secret), the case list and one case page from it; signed in again
  if the session ended;
- every 10 s, ``/healthz``, and whether the scheduler's heartbeat it reports is fresh.

One line per request (page, status, time) and per health check; never a token, a case id or
case content. A status of 400 or more, a page that does not say what it should (no token, the
reply not shown) or an exception fails its round, which is not retried: a report refused with
429 (30 an hour per address, ``intake/throttle.py``) is a failure to report. Standard library
only (no Django, no third-party package), so it runs with any Python 3.8 or newer; loopback
only, because it returns ``Secure`` cookies over plain http as browsers do for localhost.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.cookiejar
import json
import re
import secrets
import statistics
import struct
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, NamedTuple

LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEMO_USERNAME = "handler"
DEMO_PASSWORD = "speak-up-demo-2026"  # noqa: S105 (the demo's published password)
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (seed_demo's, published)
# intake/throttle.py REPORTS_PER_HOUR: one address may file 30 reports an hour. Counted in
# fixed clock hours, so two runs in the same hour from the same address share it.
REPORTS_PER_HOUR = 30
TIMEOUT_SECONDS = 60


# --- Two-factor codes (RFC 4226 and 6238) ---------------------------------------------------


def hotp(key: bytes, counter: int, digits: int = 6) -> str:
    """The HOTP code of ``counter`` under ``key`` (HMAC-SHA1, dynamic truncation)."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp_counter(at: float, period: int = 30) -> int:
    return int(at) // period


def totp(secret: str, at: float, digits: int = 6, period: int = 30) -> str:
    """The code an authenticator app shows at ``at`` (Unix seconds) for a base32 secret."""
    cleaned = secret.replace(" ", "").upper()
    key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    return hotp(key, totp_counter(at, period), digits)


def totp_wait(at: float, last_counter: int | None, period: int = 30) -> float:
    """Seconds to wait before a code may be typed: each code works once (allauth marks it
    used), so a second sign-in in the same period waits for the next code."""
    if last_counter is None or totp_counter(at, period) > last_counter:
        return 0.0
    return (last_counter + 1) * period - at


# --- HTTP -----------------------------------------------------------------------------------


class LoopbackCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Return ``Secure`` cookies over plain http to a loopback host, as browsers do for
    localhost (a "potentially trustworthy" origin); anywhere else, only over https. The
    follow-up and token-page cookies are ``__Host-`` and ``Secure``."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        host = urllib.parse.urlsplit(request.get_full_url()).hostname
        return host in LOOPBACK or bool(super().return_ok_secure(cookie, request))


class _EveryAnswer(urllib.request.HTTPErrorProcessor):
    """Hand back every answer as it is: no redirect followed, no exception for a 4xx or 5xx,
    so that each request is timed and counted on its own."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response

    https_response = http_response


class Answer(NamedTuple):
    page: str
    status: int
    body: str
    location: str
    seconds: float


class Failed(Exception):
    """A round that cannot go on; the message names the page and says what was wrong, never
    what the page held."""


class Tally:
    """What happened: requests by page and status with their times, failures, exceptions."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.requests: Counter[tuple[str, int]] = Counter()
        self.seconds: dict[tuple[str, int], list[float]] = defaultdict(list)
        self.rounds: Counter[tuple[str, str]] = Counter()
        self.heartbeat: Counter[str] = Counter()
        self.failures: list[str] = []
        self.exceptions: list[str] = []
        self.sign_ins = 0

    def line(self, who: str, text: str) -> None:
        self.out(f"{time.strftime('%H:%M:%S')} {who:<8} {text}")

    def request(self, who: str, method: str, answer: Answer, note: str = "") -> None:
        self.requests[(answer.page, answer.status)] += 1
        self.seconds[(answer.page, answer.status)].append(answer.seconds)
        text = f"{answer.page:<18} {method:<4} {answer.status} {answer.seconds * 1000:7.0f} ms"
        self.line(who, f"{text}  {note}".rstrip())

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.exceptions)

    def summary(self, elapsed: float) -> None:
        out = self.out
        out("")
        out(f"Summary after {elapsed / 60:.1f} minutes")
        for kind in ("reporter", "staff", "health"):
            done, bad = self.rounds[(kind, "ok")], self.rounds[(kind, "failed")]
            out(f"  {kind:<8} rounds: {done + bad} ({done} ok, {bad} failed)")
        out(f"  staff sign-ins: {self.sign_ins}")
        beats = ", ".join(f"{state} {n}" for state, n in sorted(self.heartbeat.items()))
        out(f"  heartbeat: {beats or 'never read'}")
        out("  page               status  count  median ms  max ms")
        for (page, status), count in sorted(self.requests.items()):
            times = self.seconds[(page, status)]
            out(
                f"  {page:<18} {status:>6}  {count:>5}  {statistics.median(times) * 1000:>9.0f}"
                f"  {max(times) * 1000:>6.0f}"
            )
        out(f"  failures: {len(self.failures) or 'none'}")
        for text, count in Counter(self.failures).most_common():
            out(f"    {count} x {text}")
        out(f"  exceptions: {len(self.exceptions) or 'none'}")
        for text, count in Counter(self.exceptions).most_common():
            out(f"    {count} x {text}")


class Browser:
    """One person's browser: its own cookies, requests to one loopback base URL."""

    def __init__(self, base: str, who: str, tally: Tally) -> None:
        self.base, self.who, self.tally = base, who, tally
        jar = http.cookiejar.CookieJar(policy=LoopbackCookiePolicy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _EveryAnswer()
        )

    def go(
        self,
        page: str,
        path: str,
        fields: dict[str, str] | None = None,
        *,
        expect: int | None = 200,
        note: Callable[[Answer], str] | None = None,
    ) -> Answer:
        """GET ``path`` (or POST ``fields`` to it); ``Failed`` unless the status is ``expect``
        (``None``: any status below 400)."""
        url = urllib.parse.urljoin(self.base, path)
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        method = "GET" if data is None else "POST"
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http on loopback, checked by main)
        start = time.perf_counter()
        with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read().decode("utf-8", "replace")
            answer = Answer(page, response.status, body, response.headers.get("Location", ""), 0.0)
        answer = answer._replace(seconds=time.perf_counter() - start)
        self.tally.request(self.who, method, answer, note(answer) if note else "")
        if answer.status >= 400 or expect not in (None, answer.status):
            raise Failed(f"{page}: status {answer.status}, expected {expect or 'below 400'}")
        return answer


# --- Pages ----------------------------------------------------------------------------------


class Form(NamedTuple):
    action: str
    fields: list[tuple[str, str, str, bool]]  # (name, kind, value, checked)
    options: dict[str, list[str]]  # a select's option values, in order


class _Forms(HTMLParser):
    """The forms of a page: their actions, inputs, text areas and selects."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), [], {}))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            self.forms[-1].fields.append((a["name"], kind, a.get("value", ""), "checked" in a))
        elif tag == "textarea" and a.get("name"):
            self.forms[-1].fields.append((a["name"], "textarea", "", False))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1].fields.append((a["name"], "select", "", False))
            self.forms[-1].options[a["name"]] = []
        elif tag == "option" and self._select:
            self.forms[-1].options[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = ""


def form_of(answer: Answer, action_ends: str) -> Form:
    """The page's form whose action ends with ``action_ends``; ``Failed`` if there is none."""
    parser = _Forms()
    parser.feed(answer.body)
    for form in parser.forms:
        if form.action.endswith(action_ends):
            return form
    raise Failed(f"{answer.page}: no form posting to {action_ends}")


def hidden_of(form: Form) -> dict[str, str]:
    return {name: value for name, kind, value, _ in form.fields if kind == "hidden"}


def answers_for(form: Form, what_happened: str) -> dict[str, str]:
    """The report's questions answered as a hurried reporter would: their words in the
    required text box, the choice already made or else the first, the first place named."""
    answers: dict[str, str] = {}
    for name, kind, value, checked in form.fields:
        if kind == "hidden" or (kind in ("text", "textarea") and name not in answers):
            answers.setdefault(name, value)
        elif kind == "radio" and (checked or name not in answers):
            answers[name] = value
        elif kind == "select":
            answers[name] = next((v for v in form.options[name] if v), "")
    answers["what_happened"] = what_happened
    return answers


def report_slug(start_page: Answer) -> str:
    """The first kind of report on the start page that is followed up (not trends only: its
    reporters cannot send messages)."""
    for block in start_page.body.split('class="speakup-case-type"')[1:]:
        found = re.search(r'href="/report/([\w-]+)/"', block)
        if found and "govuk-inset-text" not in block.split("</div>")[0]:
            return found.group(1)
    raise Failed(f"{start_page.page}: no kind of report that can be followed up")


_CASE_LINK = re.compile(r'href="(/staff/cases/[0-9a-fA-F-]{32,36}/)"')


# --- The three rounds -----------------------------------------------------------------------


class Soak:
    """The three kinds of round against one base URL; the handler keeps one browser (its
    session) from round to round, each reporter and health check starts with a fresh one."""

    def __init__(self, base: str, tally: Tally, case_type: str = "") -> None:
        self.base, self.tally, self.case_type = base, tally, case_type
        self.staff = Browser(base, "staff", tally)
        self.signed_in = False
        self.last_counter: int | None = None
        self.reports = 0
        self.pages = 0

    def round(self, kind: str, work: Callable[[], None]) -> None:
        """Run one round; a failure or an exception ends it and is counted, never retried."""
        try:
            work()
        except Failed as failure:
            self.tally.failures.append(str(failure))
            self.tally.line(kind, f"FAILED {failure}")
        except Exception as error:
            text = f"{type(error).__name__}: {str(error)[:120]}"
            self.tally.exceptions.append(text)
            self.tally.line(kind, f"EXCEPTION {text}")
        else:
            self.tally.rounds[(kind, "ok")] += 1
            return
        self.tally.rounds[(kind, "failed")] += 1
        if kind == "staff":  # start again from the sign-in, in a fresh browser
            self.staff = Browser(self.base, "staff", self.tally)
            self.signed_in = False

    def reporter(self) -> None:
        """Report, keep the token, follow up with it and reply, in a browser of its own."""
        self.reports += 1
        browser = Browser(self.base, "reporter", self.tally)
        start = browser.go("start", "/")
        slug = self.case_type or report_slug(start)
        questions = browser.go("report form", f"/report/{slug}/")
        words = f"Soak report {self.reports}: a concern typed by bench/soak.py."
        answers = answers_for(form_of(questions, f"/report/{slug}/"), words)
        check = browser.go("check answers", f"/report/{slug}/", answers)
        sent = browser.go(
            "send report", f"/report/{slug}/send/", hidden_of(form_of(check, "/send/"))
        )
        token = re.search(r'id="token">([^<]+)<', sent.body)
        if token is None:
            raise Failed("send report: no case token on the token page")
        kept = hidden_of(form_of(sent, "/your-token/"))
        browser.go("token kept", "/your-token/", {**kept, "kept": "yes"}, expect=302)
        follow = browser.go("follow-up form", "/follow-up/")
        ticket = hidden_of(form_of(follow, "/follow-up/"))
        entered = {**ticket, "token": token.group(1).strip()}
        browser.go("token entered", "/follow-up/", entered, expect=302)
        case = browser.go("follow-up case", "/follow-up/case/")
        key = hidden_of(form_of(case, "/follow-up/reply/"))
        marker = f"Soak reply {secrets.token_hex(8)}"
        browser.go("reply", "/follow-up/reply/", {**key, "body": marker}, expect=302)
        again = browser.go("follow-up case", "/follow-up/case/")
        if marker not in again.body:
            raise Failed("follow-up case: the reply sent is not shown")
        browser.go("sign out", "/follow-up/sign-out/", key)

    def sign_in(self) -> None:
        """Username and password, then a TOTP code, as a person signs in."""
        form = self.staff.go("sign-in form", "/accounts/login/")
        fields = {
            **hidden_of(form_of(form, "/accounts/login/")),
            "login": DEMO_USERNAME,
            "password": DEMO_PASSWORD,
        }
        step = self.staff.go("sign-in password", "/accounts/login/", fields, expect=302)
        if "/2fa/authenticate" not in step.location:
            raise Failed("sign-in password: not sent on to the second factor")
        code_page = self.staff.go("sign-in code form", step.location)
        wait = totp_wait(time.time(), self.last_counter)
        if wait > 0:
            self.tally.line("staff", f"waiting {wait:.0f} s for a fresh TOTP code")
            time.sleep(wait)
        now = time.time()
        self.last_counter = totp_counter(now)
        fields = {
            **hidden_of(form_of(code_page, "/2fa/authenticate/")),
            "code": totp(DEMO_TOTP_SECRET, now),
        }
        done = self.staff.go("sign-in code", step.location, fields, expect=302)
        if "/accounts/" in done.location:
            raise Failed("sign-in code: sent back to the sign-in")
        self.signed_in = True
        self.tally.sign_ins += 1

    def case_list_or_sign_in(self) -> None:
        """The handler's round: a session that ended (sent to the sign-in) signs in again."""
        if self.signed_in:
            probe = self.staff.go("case list", "/staff/cases/", expect=None)
            if probe.status == 302 and "/accounts/login/" in probe.location:
                self.tally.line("staff", "session ended: signing in again")
                self.signed_in = False
            elif probe.status != 200:
                raise Failed(f"case list: status {probe.status}, expected 200")
            else:
                self._open_a_case(probe)
                return
        self.sign_in()
        self._open_a_case(self.staff.go("case list", "/staff/cases/"))

    def _open_a_case(self, listed: Answer) -> None:
        links = _CASE_LINK.findall(listed.body)
        if not links:
            raise Failed("case list: no case to open")
        self.staff.go("case page", links[self.pages % len(links)])
        self.pages += 1

    def health(self) -> None:
        """``/healthz``: 200 when everything is right, 503 naming what is not."""
        browser = Browser(self.base, "health", self.tally)
        answer = browser.go("healthz", "/healthz", expect=None, note=self._heartbeat)
        if answer.status != 200:
            raise Failed(f"healthz: status {answer.status}")

    def _heartbeat(self, answer: Answer) -> str:
        """What the health check says of the heartbeat (counted) and of anything failing."""
        try:
            report = json.loads(answer.body)
        except ValueError:
            report = {}
        state = str(report.get("heartbeat", "unknown"))
        self.tally.heartbeat[state] += 1
        note = f"heartbeat {state}"
        age = heartbeat_age(report.get("last_heartbeat"), time.time())
        if age is not None:
            note += f", {age:.0f} s old"
        if report.get("failing"):
            note += f"; failing: {', '.join(map(str, report['failing']))}"
        return note


def heartbeat_age(last: object, now: float) -> float | None:
    """Seconds since the heartbeat ``/healthz`` names (ISO 8601 with a zone), or ``None``."""
    if not isinstance(last, str):
        return None
    try:
        return now - datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# --- The run --------------------------------------------------------------------------------


def reports_in_an_hour(seconds: float, every: float) -> int:
    """How many reports a run starting one at once and then one every ``every`` seconds
    files in its busiest clock hour (at most)."""
    return int(min(seconds, 3600) // every) + 1


def run(
    soak: Soak,
    seconds: float,
    every: dict[str, float],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Each round once at the start (however short the run), then each on its own period
    until ``seconds`` have passed (a round under way finishes)."""
    work = {"reporter": soak.reporter, "staff": soak.case_list_or_sign_in, "health": soak.health}
    start = clock()
    due = {kind: start for kind in work}
    first = list(work)
    while True:
        now = clock()
        if now - start >= seconds and not first:
            return
        kind = first.pop(0) if first else min(due, key=lambda k: due[k])
        if due[kind] > now:
            sleep(min(due[kind], start + seconds) - now)
            continue
        soak.round(kind, work[kind])
        # The next round on the grid of its period; one that started a whole period late or
        # more moves the grid instead, so that no round runs twice in a row to catch up.
        due[kind] += every[kind]
        if due[kind] <= now:
            due[kind] = now + every[kind]


def _print(line: str) -> None:
    print(line, flush=True)  # each line as it happens, also into a file or a pipe


def main(argv: list[str] | None = None, out: Callable[[str], None] = _print) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="loopback only")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--report-every", type=float, default=150.0, help="seconds")
    parser.add_argument("--staff-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--health-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--case-type", default="", help="its slug (default: the first one)")
    args = parser.parse_args(argv)
    base = urllib.parse.urlsplit(args.base)
    if base.scheme != "http" or base.hostname not in LOOPBACK:
        parser.error("--base must be http:// on a loopback address (127.0.0.1, localhost, ::1)")
    seconds = args.minutes * 60
    if min(args.report_every, args.staff_every, args.health_every) <= 0 or seconds <= 0:
        parser.error("--minutes and the periods must be more than 0")
    if reports_in_an_hour(seconds, args.report_every) > REPORTS_PER_HOUR:
        parser.error(
            f"that paces more than {REPORTS_PER_HOUR} reports an hour, one address's limit "
            "(intake/throttle.py): make --report-every longer"
        )
    tally = Tally(out)
    soak = Soak(f"{base.scheme}://{base.netloc}/", tally, args.case_type)
    out(f"Soak run against {base.netloc} for {args.minutes:g} minutes")
    started = time.monotonic()
    try:
        run(
            soak,
            seconds,
            {"reporter": args.report_every, "staff": args.staff_every, "health": args.health_every},
        )
    except KeyboardInterrupt:
        out("Interrupted")
        tally.exceptions.append("KeyboardInterrupt")
    tally.summary(time.monotonic() - started)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
