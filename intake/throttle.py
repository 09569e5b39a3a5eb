"""Throttles for the reporter pages: per browser, per address and global, never lockouts.

A wrong case token identifies no case, so nothing is ever locked: a browser that keeps
guessing is slowed down, an address that keeps guessing is refused for the rest of the hour,
and everyone else carries on (docs/decisions/0012-reporter-throttles.md).

- A **browser** is the random ticket its token form carries (no cookie, nothing stored); a
  post without one counts as the address's own ticketless browser. Five wrong tokens a minute
  each, so a reporter's typos never hold up a colleague.
- An **address** (a keyed hash of it, ``ops/clients.py``) may get 100 wrong tokens answered
  an hour, whatever tickets it uses: about 100 answered guesses an hour for an attacker, room
  for a whole office's typos. A correct token does not count.
- **Globally**, 2,000 wrong tokens an hour raise an alert, and then only addresses without a
  wrong token this hour are answered.
- Reports: 30 an hour per address (an office may share one); past 500 in an hour overall, an
  alert, and then only addresses not yet answered this hour; answers to the check-in after
  closure the same, counted apart.

Every count is taken *before* the work it guards (an atomic increment, checked against the
limit) and given back if the work turns out not to count, so parallel requests cannot slip
past a limit between a check and a count.

Cache down or hung (``ops.cache.CacheUnavailable``): token guesses are refused with "try
again shortly" (unthrottled guessing is not safe), reports go on (a report must never be lost
to an outage). Counters expire on their own; nothing here records an address or a token.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from ops.cache import CacheUnavailable
from ops.clients import client_key

logger = logging.getLogger("speakup.throttle")


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


BROWSER_FAILURES_PER_MINUTE = Limit("token-browser-minute", 5, 60)
ADDRESS_FAILURES_PER_HOUR = Limit("token-address-hour", 100, 3600)
TOKEN_FAILURES_GLOBAL = Limit("token-fail-global", 2000, 3600)
REPORTS_PER_HOUR = Limit("report-hour", 30, 3600)
REPORTS_GLOBAL = Limit("report-global", 500, 3600)
CHECKINS_PER_HOUR = Limit("checkin-hour", 30, 3600)
CHECKINS_GLOBAL = Limit("checkin-global", 500, 3600)

_TICKET = re.compile(r"[A-Za-z0-9_-]{20,64}")


class GuessRefused(Exception):
    """Too many wrong tokens from this browser or address, or a broad attack: wait."""


def _key(limit: Limit, who: str) -> str:
    window = int(time.time()) // limit.seconds
    return f"speakup:throttle:{limit.name}:{who}:{window}"


def _add(limit: Limit, who: str, delta: int = 1) -> int:
    """Add ``delta`` to a counter atomically and return the new value."""
    key = _key(limit, who)
    if delta > 0 and cache.add(key, delta, timeout=limit.seconds + 5):
        return delta
    try:
        return int(cache.incr(key, delta))
    except ValueError:  # expired (or never made) in between
        if delta > 0 and cache.add(key, delta, timeout=limit.seconds + 5):
            return delta
        return 0


def _count(limit: Limit, who: str) -> int:
    return int(cache.get(_key(limit, who), 0))


def ticket_for(request: HttpRequest) -> str:
    """The ticket for a token form: the one it was posted with, so a browser keeps its own
    count across its retries, or a fresh one. Random, held only in the page."""
    posted = str(request.POST.get("ticket", ""))
    return posted if _TICKET.fullmatch(posted) else secrets.token_urlsafe(18)


def browser_of(request: HttpRequest) -> str:
    """The throttle key of the browser behind a token post: its form's ticket, hashed, or the
    address's own ticketless bucket."""
    ticket = str(request.POST.get("ticket", ""))
    if not _TICKET.fullmatch(ticket):
        return "n" + client_key(request)
    return "t" + salted_hmac("speakup.ticket", ticket, algorithm="sha256").hexdigest()[:32]


@dataclass(frozen=True)
class Guess:
    """A token guess that has been counted as a failure in advance; ``token_guess_end``
    settles it."""

    browser: str
    address: str


def token_guess_begin(request: HttpRequest) -> Guess:
    """Count this guess against its browser and address before it is looked up.

    Raises ``GuessRefused`` when a limit is reached, and ``CacheUnavailable`` when the
    counts cannot be kept (the caller refuses the guess for now).
    """
    guess = Guess(browser=browser_of(request), address=client_key(request))
    by_browser = _add(BROWSER_FAILURES_PER_MINUTE, guess.browser)
    by_address = _add(ADDRESS_FAILURES_PER_HOUR, guess.address)
    refused = (
        by_browser > BROWSER_FAILURES_PER_MINUTE.count
        or by_address > ADDRESS_FAILURES_PER_HOUR.count
        # Under a broad attack, answer only addresses with a clean record this hour.
        or (
            _count(TOKEN_FAILURES_GLOBAL, "all") >= TOKEN_FAILURES_GLOBAL.count
            and _count(TOKEN_FAILURES_GLOBAL, guess.address) > 0
        )
    )
    if refused:
        # A refused guess is not answered, so it uses up nothing: one impatient browser
        # cannot spend its address's hour.
        _add(BROWSER_FAILURES_PER_MINUTE, guess.browser, -1)
        _add(ADDRESS_FAILURES_PER_HOUR, guess.address, -1)
        raise GuessRefused()
    return guess


def token_guess_end(guess: Guess, *, found: bool) -> None:
    """A correct token gives its advance count back; a wrong one also counts globally."""
    try:
        if found:
            _add(BROWSER_FAILURES_PER_MINUTE, guess.browser, -1)
            _add(ADDRESS_FAILURES_PER_HOUR, guess.address, -1)
            return
        _add(TOKEN_FAILURES_GLOBAL, guess.address)
        if _add(TOKEN_FAILURES_GLOBAL, "all") == TOKEN_FAILURES_GLOBAL.count:
            logger.critical(
                "ALERT: %d wrong case tokens this hour across all clients; "
                "clients with failures are refused until the hour ends.",
                TOKEN_FAILURES_GLOBAL.count,
            )
    except CacheUnavailable:
        logger.warning("throttle cache unavailable; a token guess was not settled")


def _admit(request: HttpRequest, per_address: Limit, overall: Limit, what: str) -> bool:
    """Count one more (report or check-in answer) from this address and overall; ``False``,
    with both counts given back, when the address has used its hour, or when the hour's
    overall limit has been passed and the address has already been answered this hour.

    Past the overall limit an address with nothing this hour is still answered, as with wrong
    tokens: the limit brakes a flood from a few addresses, and must never be what silences a
    reporter at another one (500 reports sent from 17 addresses would otherwise shut the form
    for everyone until the hour ended)."""
    who = client_key(request)
    try:
        total = _add(overall, "all")
        by_address = _add(per_address, who)
        flooded = total > overall.count
        # Once an hour: a refusal gives its count back, so the total stays at the limit.
        if flooded and cache.add(_key(overall, "alerted"), 1, timeout=overall.seconds + 5):
            logger.critical(
                "ALERT: the global limit of %d %s an hour was reached; addresses already "
                "answered this hour are refused until it ends.",
                overall.count,
                what,
            )
        if by_address > per_address.count or (flooded and by_address > 1):
            _add(per_address, who, -1)
            _add(overall, "all", -1)
            return False
    except CacheUnavailable:
        logger.warning("throttle cache unavailable; %s let through uncounted", what)
    return True


def _release(request: HttpRequest, per_address: Limit, overall: Limit) -> None:
    try:
        _add(per_address, client_key(request), -1)
        _add(overall, "all", -1)
    except CacheUnavailable:
        pass


def report_admit(request: HttpRequest) -> bool:
    """Count a report before it is saved; ``False`` when a limit is reached. Fails open."""
    return _admit(request, REPORTS_PER_HOUR, REPORTS_GLOBAL, "reports")


def report_release(request: HttpRequest) -> None:
    """Give back the count of a report that was not filed (a failure, or a repeat)."""
    _release(request, REPORTS_PER_HOUR, REPORTS_GLOBAL)


def checkin_admit(request: HttpRequest) -> bool:
    """Count an answer to the check-in before it is saved, like a report. Fails open."""
    return _admit(request, CHECKINS_PER_HOUR, CHECKINS_GLOBAL, "check-in answers")


def checkin_release(request: HttpRequest) -> None:
    """Give back the count of an answer that was not recorded (refused, repeated, a fault)."""
    _release(request, CHECKINS_PER_HOUR, CHECKINS_GLOBAL)
