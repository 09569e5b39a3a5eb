"""Throttles for the reporter pages: per client (a keyed hash, short expiry) and global.

A wrong case token identifies no case, so nothing is ever locked: a client that keeps guessing
is slowed down, then refused for a while, and everyone else carries on. Counters live in the
cache (Redis in production) and expire on their own. If the cache is down, reporting goes on
(fail open): 140-bit tokens cannot be guessed anyway, and a report must never be lost to an
outage. Nothing here records an address.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from ops.clients import client_key

logger = logging.getLogger("speakup.throttle")


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


# Token guesses that get an answer: 5 failures a minute, 100 answered guesses an hour, per
# client; across everyone, 2,000 failures an hour raises an alert and then answers only
# clients that have not failed in that hour.
TOKEN_FAILURES_PER_MINUTE = Limit("token-fail-minute", 5, 60)
TOKEN_ANSWERS_PER_HOUR = Limit("token-answer-hour", 100, 3600)
TOKEN_FAILURES_GLOBAL = Limit("token-fail-global", 2000, 3600)
# Reports: 30 an hour per client address (a whole office may share one), 500 globally.
REPORTS_PER_HOUR = Limit("report-hour", 30, 3600)
REPORTS_GLOBAL = Limit("report-global", 500, 3600)


def _key(limit: Limit, who: str) -> str:
    window = int(time.time()) // limit.seconds
    return f"speakup:throttle:{limit.name}:{who}:{window}"


def _count(limit: Limit, who: str) -> int:
    try:
        return int(cache.get(_key(limit, who), 0))
    except Exception:  # the cache is down: fail open
        logger.warning("throttle cache unavailable; %s not enforced", limit.name)
        return 0


def _hit(limit: Limit, who: str) -> int:
    key = _key(limit, who)
    try:
        cache.add(key, 0, timeout=limit.seconds + 5)
        return int(cache.incr(key))
    except Exception:
        logger.warning("throttle cache unavailable; %s not counted", limit.name)
        return 0


def token_attempt_allowed(request: HttpRequest) -> bool:
    """Whether this client's next token guess may be looked up at all."""
    who = client_key(request)
    failed_recently = _count(TOKEN_FAILURES_PER_MINUTE, who)
    if failed_recently >= TOKEN_FAILURES_PER_MINUTE.count:
        return False
    if _count(TOKEN_ANSWERS_PER_HOUR, who) >= TOKEN_ANSWERS_PER_HOUR.count:
        return False
    if _count(TOKEN_FAILURES_GLOBAL, "all") >= TOKEN_FAILURES_GLOBAL.count:
        # Under a broad attack: keep answering clients with a clean record this hour.
        return _count(TOKEN_FAILURES_GLOBAL, who) == 0
    return True


def token_attempt_record(request: HttpRequest, *, found: bool) -> None:
    who = client_key(request)
    _hit(TOKEN_ANSWERS_PER_HOUR, who)
    if not found:
        _hit(TOKEN_FAILURES_PER_MINUTE, who)
        _hit(TOKEN_FAILURES_GLOBAL, who)
        if _hit(TOKEN_FAILURES_GLOBAL, "all") == TOKEN_FAILURES_GLOBAL.count:
            logger.critical(
                "ALERT: %d wrong case tokens this hour across all clients; "
                "clients with failures are refused until the hour ends.",
                TOKEN_FAILURES_GLOBAL.count,
            )


def report_allowed(request: HttpRequest) -> bool:
    if _count(REPORTS_GLOBAL, "all") >= REPORTS_GLOBAL.count:
        logger.critical(
            "ALERT: the global limit of %d reports an hour was reached.", REPORTS_GLOBAL.count
        )
        return False
    return _count(REPORTS_PER_HOUR, client_key(request)) < REPORTS_PER_HOUR.count


def report_record(request: HttpRequest) -> None:
    _hit(REPORTS_PER_HOUR, client_key(request))
    _hit(REPORTS_GLOBAL, "all")
