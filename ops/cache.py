"""The cache layer: Django's Redis cache with short timeouts and a circuit breaker.

Throttles, one-time-code replay checks and the token page's "show again" live in the cache.
A Redis that is down answers at once, but a Redis that hangs (not down, just not answering)
would hold every request that touches the cache for as long as the socket waits, once per
call. So every call here waits at most ``socket_timeout`` (half a second by default), and the
first failure opens a breaker: for the next few seconds every call in this process fails at
once, without touching the network, and then a single call is let through to try again.

A failure is always raised, as ``CacheUnavailable``, never turned into a silent default: each
caller decides what is safe when the cache is gone (intake/throttle.py lets reports through
and refuses token guesses; staff sign-in gets a "try again shortly" page from
ops/middleware.py instead of a 500).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("speakup.cache")

# What a call waits for Redis at most, and how long the breaker stays open after a failure.
SOCKET_TIMEOUT = 0.5
COOLDOWN_SECONDS = 5.0


class CacheUnavailable(Exception):
    """The cache did not answer in time, or the breaker is open after a recent failure."""


class Breaker:
    """Closed while the cache answers; open for ``cooldown`` seconds after a failure. When the
    cooldown ends, the next call is the trial: it claims a fresh cooldown before it starts, so
    the calls around it keep failing fast instead of all waiting on a hung server."""

    def __init__(self, cooldown: float = COOLDOWN_SECONDS) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0
        self._tripped = False
        self._lock = threading.Lock()

    def before_call(self) -> None:
        with self._lock:
            if not self._tripped:
                return
            now = time.monotonic()
            if now < self._open_until:
                raise CacheUnavailable("the cache failed a moment ago")
            self._open_until = now + self.cooldown  # this call is the trial

    def succeeded(self) -> None:
        with self._lock:
            if self._tripped:
                logger.warning("the cache answers again")
            self._tripped = False

    def failed(self) -> None:
        with self._lock:
            if not self._tripped:
                logger.error(
                    "the cache is not answering; calls fail fast for %.0f s at a time",
                    self.cooldown,
                )
            self._tripped = True
            self._open_until = time.monotonic() + self.cooldown

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._tripped and time.monotonic() < self._open_until


_OUTAGES = (RedisConnectionError, RedisTimeoutError, OSError)
# One breaker per server and process, shared by threads (Django makes a cache object per
# thread), so one failure spares every thread of the process the wait.
_breakers: dict[tuple[str, float], Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, cooldown: float = COOLDOWN_SECONDS) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault((location, cooldown), Breaker(cooldown))


def _guarded[F: Callable[..., Any]](method: F) -> F:
    @wraps(method)
    def call(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        self.breaker.before_call()
        try:
            result = method(self, *args, **kwargs)
        except _OUTAGES as error:
            self.breaker.failed()
            raise CacheUnavailable(type(error).__name__) from error
        self.breaker.succeeded()
        return result

    return cast(F, call)


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` whose every call is bounded in time and
    goes through a breaker. ``OPTIONS`` may override the timeouts; ``COOLDOWN`` the breaker."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        options = {
            "socket_connect_timeout": SOCKET_TIMEOUT,
            "socket_timeout": SOCKET_TIMEOUT,
            **params.get("OPTIONS", {}),
        }
        cooldown = float(options.pop("COOLDOWN", COOLDOWN_SECONDS))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self.breaker = breaker_for(str(server), cooldown)

    add = _guarded(RedisCache.add)
    get = _guarded(RedisCache.get)
    set = _guarded(RedisCache.set)
    touch = _guarded(RedisCache.touch)
    delete = _guarded(RedisCache.delete)
    get_many = _guarded(RedisCache.get_many)
    has_key = _guarded(RedisCache.has_key)
    incr = _guarded(RedisCache.incr)
    set_many = _guarded(RedisCache.set_many)
    delete_many = _guarded(RedisCache.delete_many)
    clear = _guarded(RedisCache.clear)


def cache_ping() -> bool:
    """Whether the default cache answers now (for the health page)."""
    from django.core.cache import cache

    try:
        cache.set("speakup:health", 1, timeout=10)
        return bool(cache.get("speakup:health") == 1)
    except CacheUnavailable:
        return False
