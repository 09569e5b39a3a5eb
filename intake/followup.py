"""The reporter's follow-up session: one encrypted cookie, nothing stored on the server.

After a correct token, the browser gets a cookie sealed with AES-GCM under a key derived from
``SECRET_KEY``. It holds the case id, when it expires (15 minutes after the last request) and
a random form key that every form on the follow-up page must echo (so another site cannot post
to it; the cookie is also ``SameSite=Strict``). The token itself is never kept, anywhere. The
cookie is ``__Host-`` prefixed, Secure and HttpOnly; signing out deletes it and asks the browser
to clear everything this site stored.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "__Host-speakup-followup"
IDLE_SECONDS = 15 * 60
# However active, a follow-up session ends this long after the token was typed.
ABSOLUTE_SECONDS = 2 * 3600


@dataclass(frozen=True)
class FollowUp:
    case_id: uuid.UUID
    form_key: str
    started: float


def _aead() -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"speakup/follow-up/v1")
    return AESGCM(hkdf.derive(settings.SECRET_KEY.encode()))


def _seal(payload: dict[str, object]) -> str:
    nonce = os.urandom(12)
    sealed = _aead().encrypt(nonce, json.dumps(payload).encode(), COOKIE.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def follow_up_of(request: HttpRequest) -> FollowUp | None:
    """The live follow-up session of this browser, or ``None`` (absent, expired, forged)."""
    raw = request.COOKIES.get(COOKIE, "")
    if not raw or len(raw) > 500:
        return None
    try:
        blob = base64.urlsafe_b64decode(raw.encode())
        payload = json.loads(_aead().decrypt(blob[:12], blob[12:], COOKIE.encode()))
        now = time.time()
        if float(payload["e"]) < now or float(payload["s"]) + ABSOLUTE_SECONDS < now:
            return None
        return FollowUp(
            case_id=uuid.UUID(payload["c"]), form_key=str(payload["k"]), started=float(payload["s"])
        )
    except (InvalidTag, ValueError, KeyError, TypeError):
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
    value = _seal(
        {
            "c": str(follow_up.case_id),
            "k": follow_up.form_key,
            "s": follow_up.started,
            "e": time.time() + IDLE_SECONDS,
        }
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
