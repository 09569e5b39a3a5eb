"""The reporter's follow-up session: one encrypted cookie, nothing stored on the server.

After a correct token, the browser gets a cookie sealed with AES-GCM under a key of its own,
derived from the master keys (``intake/sealing.py``; never from ``SECRET_KEY``). It holds the
case id, when it expires (15 minutes after the last request, two hours after the token was
typed at most) and a random form key that every form on the follow-up page must echo (so
another site cannot post to it; the cookie is also ``SameSite=Strict``). The token itself is
never kept, anywhere. The cookie is ``__Host-`` prefixed, Secure and HttpOnly; signing out
deletes it and asks the browser to clear everything this site stored.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from intake.sealing import FOLLOW_UP, seal, unseal

COOKIE = "__Host-speakup-followup"
IDLE_SECONDS = 15 * 60
# However active, a follow-up session ends this long after the token was typed.
ABSOLUTE_SECONDS = 2 * 3600


@dataclass(frozen=True)
class FollowUp:
    case_id: uuid.UUID
    form_key: str
    started: float


def follow_up_of(request: HttpRequest) -> FollowUp | None:
    """The live follow-up session of this browser, or ``None`` (absent, expired, forged)."""
    raw = request.COOKIES.get(COOKIE, "")
    payload = unseal(FOLLOW_UP, raw) if raw and len(raw) <= 500 else None
    if payload is None:
        return None
    try:
        now = time.time()
        if float(payload["e"]) < now or float(payload["s"]) + ABSOLUTE_SECONDS < now:
            return None
        return FollowUp(
            case_id=uuid.UUID(payload["c"]), form_key=str(payload["k"]), started=float(payload["s"])
        )
    except (ValueError, KeyError, TypeError):
        return None


def follow_up_start(response: HttpResponse, case_id: uuid.UUID) -> None:
    _set(
        response,
        FollowUp(case_id=case_id, form_key=secrets.token_urlsafe(24), started=time.time()),
    )


def follow_up_refresh(response: HttpResponse, follow_up: FollowUp) -> None:
    """Slide the idle expiry forward on every page the reporter uses."""
    _set(response, follow_up)


def _set(response: HttpResponse, follow_up: FollowUp) -> None:
    value = seal(
        FOLLOW_UP,
        {
            "c": str(follow_up.case_id),
            "k": follow_up.form_key,
            "s": follow_up.started,
            "e": time.time() + IDLE_SECONDS,
        },
    )
    response.set_cookie(
        COOKIE, value, max_age=IDLE_SECONDS, path="/", secure=True, httponly=True, samesite="Strict"
    )


def follow_up_end(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE, path="/", samesite="Strict")
    response["Clear-Site-Data"] = '"cookies", "storage", "cache"'


def form_key_ok(request: HttpRequest, follow_up: FollowUp) -> bool:
    typed = str(request.POST.get("form_key", "")).encode()
    return secrets.compare_digest(typed, follow_up.form_key.encode())
