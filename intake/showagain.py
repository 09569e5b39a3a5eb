"""The token page's "show again": the token stays on screen until the reporter confirms.

The token is shown in the answer to "Send", rendered from memory. So that an unticked
Continue, a reload or the Back button within a few minutes never loses it, the same page
holds a sealed "show again" value (``intake/sealing.py``: AES-GCM under a key derived from the
master keys) in its Continue form, and sets it as a cookie too (``__Host-``, Secure,
HttpOnly, SameSite=Strict). It holds what the page shows and nothing more, expires ten
minutes after sending, is bound to its check-your-answers form, and is spent when the reporter
confirms they have kept the token: the cookie is deleted and its random id is noted as used
in the cache until it would have expired anyway. It is never stored on the server.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from intake.sealing import SHOW_AGAIN, seal, unseal
from intake.services import Filed
from ops.cache import CacheUnavailable

COOKIE = "__Host-speakup-token"
WINDOW_SECONDS = 10 * 60
_MAX_NAME = 80
_MAX_REMOVED = 12


def _used_key(nonce: str) -> str:
    return f"speakup:show-again-used:{nonce}"


def show_again_make(filed: Filed, *, submission: bytes) -> str:
    """The sealed value for ``filed``'s token page, bound to its submission key's digest."""
    payload: dict[str, Any] = {
        "t": filed.token,
        "r": filed.receipt,
        "n": filed.case_type_name,
        "c": list(filed.commitments),
        "tr": filed.trend_only,
        "f": [
            [f.safe_name[:_MAX_NAME], [str(r)[:60] for r in f.removed[:_MAX_REMOVED]], f.kept]
            for f in filed.files
        ],
        "cat": filed.category_id,
        "s": submission.hex()[:32],
        "x": secrets.token_urlsafe(12),
        "e": time.time() + WINDOW_SECONDS,
    }
    return seal(SHOW_AGAIN, payload)


def show_again_open(value: str, *, submission: bytes | None = None) -> dict[str, Any] | None:
    """The token page's content, or ``None`` once expired, spent, forged, or (with
    ``submission``) made for another check-your-answers form."""
    payload = unseal(SHOW_AGAIN, value) if value else None
    if payload is None:
        return None
    try:
        if float(payload["e"]) < time.time():
            return None
        if submission is not None and payload["s"] != submission.hex()[:32]:
            return None
        if cache.get(_used_key(str(payload["x"]))):
            return None
    except CacheUnavailable:
        pass  # cannot tell whether it was spent: the expiry still bounds it
    except (KeyError, TypeError, ValueError):
        return None
    return payload


def show_again_of(
    request: HttpRequest, *, submission: bytes | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The live show-again value of this request: from its form, else from its cookie."""
    for value in (str(request.POST.get("show_again", "")), request.COOKIES.get(COOKIE, "")):
        payload = show_again_open(value, submission=submission)
        if payload is not None:
            return value, payload
    return None


def show_again_set(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=WINDOW_SECONDS,
        path="/",
        secure=True,
        httponly=True,
        samesite="Strict",
    )


def show_again_spend(response: HttpResponse, payload: dict[str, Any]) -> None:
    """The reporter has confirmed: this value shows the token no more."""
    response.delete_cookie(COOKIE, path="/", samesite="Strict")
    # Without the cache, the cookie is still gone and the value expires within minutes.
    with contextlib.suppress(CacheUnavailable):
        cache.set(_used_key(str(payload["x"])), 1, timeout=WINDOW_SECONDS + 60)
