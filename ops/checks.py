"""Deploy checks (``manage.py check --deploy``) for how the app sits behind its proxy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from ops.cache import CacheUnavailable
from ops.clients import UNTRUSTED_FORWARDING_SEEN

_FIX = (
    "Set SPEAKUP_TRUSTED_PROXY_COUNT to the number of reverse proxies in front of the app "
    "(1 for a single nginx or load balancer), so that throttles tell clients apart."
)


@checks.register(checks.Tags.security, deploy=True)
def check_trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Behind a proxy with no proxy trusted, every reporter shares one throttle bucket."""
    if settings.ALLAUTH_TRUSTED_PROXY_COUNT:
        return []
    found: list[checks.CheckMessage] = []
    try:
        seen = bool(_cache_get(UNTRUSTED_FORWARDING_SEEN))
    except CacheUnavailable:
        seen = False
    if seen:
        found.append(
            checks.Error(
                "Requests with forwarding headers (X-Forwarded-For) reached the app in the last "
                "day while SPEAKUP_TRUSTED_PROXY_COUNT is 0: every client behind the proxy "
                "shares one throttle bucket.",
                hint=_FIX,
                id="ops.E001",
            )
        )
    elif getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        found.append(
            checks.Warning(
                "The app trusts X-Forwarded-Proto from a reverse proxy, but "
                "SPEAKUP_TRUSTED_PROXY_COUNT is 0, so throttles take the proxy's address "
                "for every client.",
                hint=_FIX,
                id="ops.W001",
            )
        )
    return found


def _cache_get(key: str) -> object:
    from django.core.cache import cache

    return cache.get(key)
