"""A client, for throttling only: a keyed hash of its address, never the address itself.

Used by the staff sign-in throttle and the reporter pages' throttles. The hash is keyed with
``SECRET_KEY`` (so a list of addresses cannot be hashed to match), and every throttle entry
that holds it expires within the hour. Nothing stores it in a table or writes it to a log.

The address is the direct peer's unless ``SPEAKUP_TRUSTED_PROXY_COUNT`` says how many reverse
proxies stand in front of the app. Left at 0 behind a proxy, every client would share the
proxy's address and so one throttle bucket; a forwarding header arriving while no proxy is
trusted is that mistake's sign, so it is logged (without any address) and noted for the
deploy check (``ops/checks.py``).
"""

from __future__ import annotations

import contextlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from ops.cache import CacheUnavailable

logger = logging.getLogger("speakup.clients")

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
# Where the deploy check finds that forwarding headers arrived untrusted (kept for a day).
UNTRUSTED_FORWARDING_SEEN = "speakup:proxy:untrusted-forwarding-seen"
_WARN_EVERY_SECONDS = 3600
_last_warned = 0.0


def _note_untrusted_forwarding() -> None:
    global _last_warned
    now = time.monotonic()
    if _last_warned and now - _last_warned < _WARN_EVERY_SECONDS:
        return
    _last_warned = now
    logger.warning(
        "A forwarding header (X-Forwarded-For, Forwarded or X-Real-IP) arrived but "
        "SPEAKUP_TRUSTED_PROXY_COUNT is 0, so every client behind the proxy shares one "
        "throttle bucket. Set it to the number of reverse proxies in front of the app."
    )
    with contextlib.suppress(CacheUnavailable):
        cache.set(UNTRUSTED_FORWARDING_SEEN, True, timeout=24 * 3600)


def client_address(request: HttpRequest) -> str:
    """The address the request came from, honouring ``SPEAKUP_TRUSTED_PROXY_COUNT``."""
    from allauth.core.internal.httpkit import get_client_ip

    if not settings.ALLAUTH_TRUSTED_PROXY_COUNT and any(
        header in request.META for header in FORWARDING_HEADERS
    ):
        _note_untrusted_forwarding()
    try:
        address = get_client_ip(request)
    except ImproperlyConfigured:
        # Fewer forwarded addresses than trusted proxies: this request did not come through
        # them all. Its peer is the only address known for certain.
        address = request.META.get("REMOTE_ADDR")
    return address or "unknown"


def client_key(request: HttpRequest) -> str:
    return (
        "c"
        + salted_hmac(
            "speakup.client-key", client_address(request), algorithm="sha256"
        ).hexdigest()[:32]
    )
