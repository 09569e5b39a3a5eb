"""Second-factor secrets encrypted at rest, and allauth's MFA adapter that uses them.

allauth keeps each TOTP secret and each recovery-code seed in ``Authenticator.data``; in
clear, anyone who can read the table (a backup, a database administrator) could make any
staff member's codes. Here they are sealed with AES-256-GCM under a key derived (HKDF) from a
master key, which lives in the environment like the case keys' master keys and never in the
database or in ``SECRET_KEY``. A sealed value names its master key, so keys rotate like the
case keys: ``manage.py rewrap_mfa_secrets`` re-seals everything under the active key.

A value that is not sealed, or sealed under a key that is not configured, is refused (it
raises); ``manage.py check`` reports any such row (``staff.E001``).
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import transaction

from cases.crypto import Keyring
from cases.exceptions import CryptoError

PREFIX = "speakup-mfa:v1:"
_INFO = b"speakup/mfa-secret/v1|"
_NONCE_BYTES = 12
# The keys in ``Authenticator.data`` that hold secrets (TOTP, recovery codes).
SECRET_FIELDS = ("secret", "seed")


class MFASecretUnreadable(CryptoError):
    message = "A second-factor secret could not be decrypted."


def _aead(keyring: Keyring, key_id: str) -> AESGCM:
    master = keyring.keys.get(key_id)
    if master is None:
        raise MFASecretUnreadable(f"The master key {key_id!r} is not configured.")
    info = _INFO + key_id.encode()
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master))


def secret_seal(text: str, keyring: Keyring | None = None) -> str:
    """Seal a second-factor secret under the active master key."""
    keyring = keyring or Keyring.from_settings()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(keyring, keyring.active).encrypt(
        nonce, text.encode(), _INFO + keyring.active.encode()
    )
    return f"{PREFIX}{keyring.active}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def secret_key_id(value: object) -> str | None:
    """The master key id a stored value is sealed under, or ``None`` if it is not sealed."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    key_id, sep, _ = value[len(PREFIX) :].partition(":")
    return key_id if sep else None


def secret_open(value: str, keyring: Keyring | None = None) -> str:
    """The secret in a sealed value; ``MFASecretUnreadable`` for anything else."""
    keyring = keyring or Keyring.from_settings()
    key_id = secret_key_id(value)
    if key_id is None:
        raise MFASecretUnreadable("A second-factor secret is not sealed.")
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX) + len(key_id) + 1 :])
        opened = _aead(keyring, key_id).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _INFO + key_id.encode()
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise MFASecretUnreadable() from None
    return opened.decode()


def data_reseal(data: dict[str, Any], keyring: Keyring) -> dict[str, Any] | None:
    """``Authenticator.data`` with every secret sealed under the active key (sealing any in
    clear), or ``None`` when nothing needs to change."""
    changed = dict(data)
    for field in SECRET_FIELDS:
        value = data.get(field)
        if not isinstance(value, str) or secret_key_id(value) == keyring.active:
            continue
        plain = secret_open(value, keyring) if secret_key_id(value) else value
        changed[field] = secret_seal(plain, keyring)
    return changed if changed != data else None


def mfa_secrets_rewrap(*, batch: int = 500) -> int:
    """Re-seal every second-factor secret that is in clear or under an old master key, a
    batch per transaction (resumable). Returns how many authenticators were changed."""
    from allauth.mfa.models import Authenticator

    keyring = Keyring.from_settings()
    done, last = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                Authenticator.objects.select_for_update().filter(pk__gt=last).order_by("pk")[:batch]
            )
            if not rows:
                return done
            for authenticator in rows:
                data = data_reseal(authenticator.data, keyring)
                if data is not None:
                    authenticator.data = data
                    authenticator.save(update_fields=["data"])
                    done += 1
            last = rows[-1].pk


class StaffMFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    """allauth's MFA adapter with secrets sealed at rest, and no way to delete a TOTP
    authenticator: every staff role must have one, and replacing it needs the current code
    (``staff.services.authenticator_replace``) or two administrators
    (``ChangeKind.SECOND_FACTOR_RESET``)."""

    def encrypt(self, text: str) -> str:
        return secret_seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secret_open(encrypted_text)

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        return False
