"""Values sealed for the reporter's browser: the follow-up cookie and the token page's "show
again". Nothing sealed here is ever stored on the server.

Each use has its own AES-256-GCM key, derived with HKDF from a master key and a label naming
the use, never from ``SECRET_KEY``: someone holding ``SECRET_KEY`` (or a key of another use)
can neither open nor forge these values. The active master key seals; every configured master
key opens, so rotating the master keys (docs/operations.md) rotates these keys too: values
sealed under a retired key stop opening once that key is removed from the settings. A sealed
value names its key id in clear and binds the use and the key id as associated data.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

FOLLOW_UP = "follow-up"
SHOW_AGAIN = "show-again"
_USES = {FOLLOW_UP, SHOW_AGAIN}


def _aead(use: str, key_id: str) -> AESGCM:
    if use not in _USES:
        raise ValueError(f"unknown sealing use {use!r}")
    master = settings.SPEAKUP_MASTER_KEYS[key_id]
    info = f"speakup/reporter/{use}/v1".encode()
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master))


def _associated(use: str, key_id: str) -> bytes:
    return f"speakup/reporter/{use}|{key_id}".encode()


def seal(use: str, payload: dict[str, Any]) -> str:
    """``payload`` as JSON, encrypted under this use's key from the active master key."""
    key_id = settings.SPEAKUP_ACTIVE_MASTER_KEY
    nonce = os.urandom(12)
    sealed = _aead(use, key_id).encrypt(
        nonce, json.dumps(payload, separators=(",", ":")).encode(), _associated(use, key_id)
    )
    return f"{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def unseal(use: str, value: str) -> dict[str, Any] | None:
    """The payload, or ``None`` for anything not sealed by us for this use under a key we
    still hold (forged, damaged, another use, a retired key)."""
    key_id, dot, body = value.partition(".")
    if not dot or key_id not in settings.SPEAKUP_MASTER_KEYS or len(body) > 8000:
        return None
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        plain = _aead(use, key_id).decrypt(blob[:12], blob[12:], _associated(use, key_id))
        payload = json.loads(plain)
    except (InvalidTag, ValueError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None
