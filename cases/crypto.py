"""Envelope encryption of case data: the only module that handles key material.

Each case has its own random 256-bit data key. Every free-text field and every evidence file
of the case is sealed with AES-256-GCM under that key; the data key itself is stored only
wrapped (AES-256-GCM again) by a master key that lives outside the database. So:

- Moving ciphertext is detected: a field's associated data binds the case id, the model, the
  field and the row id, and a wrapped data key binds its case id and master key id.
- No creation time leaks (unlike Fernet): a field value is ``version | nonce | ciphertext``.
- Rotating a master key re-wraps data keys only; no field is touched.
- Deleting a case's data key makes every copy of its content unreadable, history rows and
  backups included (crypto-shredding). Backups also hold the wrapped key until the master key
  epoch that wrapped it is retired: see docs/decisions/0002-envelope-encryption.md.

Random 96-bit nonces under one data key stay far below the birthday bound for the few
thousand values a case ever has (NIST SP 800-38D allows 2**32 encryptions per key).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from cases.exceptions import CaseDataUnreadable, MasterKeyMismatch

FIELD_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32

# Evidence files are sealed in chunks (the STREAM construction, as in Tink's streaming AEAD):
# each chunk is authenticated on its own, so a download never releases unverified plaintext,
# and a flag in the nonce marks the last chunk, so truncation is detected too.
FILE_MAGIC = b"SUEV\x01"
FILE_SALT_BYTES = 16
CHUNK_BYTES = 64 * 1024
_TAG_BYTES = 16


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Keyring:
    """The master keys from settings: ``keys`` by id and the ``active`` id that wraps."""

    keys: Mapping[str, bytes]
    active: str

    @classmethod
    def from_settings(cls) -> Keyring:
        return cls(keys=settings.SPEAKUP_MASTER_KEYS, active=settings.SPEAKUP_ACTIVE_MASTER_KEY)


def _wrap_ad(case_id: uuid.UUID, key_id: str) -> bytes:
    return b"speakup/data-key/v1|" + case_id.bytes + b"|" + key_id.encode()


def data_key_generate() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def data_key_wrap(*, case_id: uuid.UUID, data_key: bytes, keyring: Keyring) -> tuple[str, bytes]:
    """Wrap ``data_key`` with the active master key; returns ``(key_id, wrapped)``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.keys[keyring.active]).encrypt(
        nonce, data_key, _wrap_ad(case_id, keyring.active)
    )
    return keyring.active, nonce + sealed


def data_key_unwrap(*, case_id: uuid.UUID, key_id: str, wrapped: bytes, keyring: Keyring) -> bytes:
    """Unwrap a stored data key. Raises ``MasterKeyMismatch`` when the key is absent or wrong."""
    master = keyring.keys.get(key_id)
    if master is None:
        raise MasterKeyMismatch(
            f"The master key {key_id!r} that wrapped a case data key is not configured. "
            "Add it to SPEAKUP_MASTER_KEYS (finish rotation before removing an old key)."
        )
    wrapped = bytes(wrapped)
    try:
        return AESGCM(master).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_ad(case_id, key_id)
        )
    except InvalidTag:
        raise MasterKeyMismatch() from None


RowId = uuid.UUID | int


def field_ad(*, case_id: uuid.UUID, model_label: str, field: str, row_id: RowId) -> bytes:
    """Associated data of one field value: which case, model, field and row it belongs to.

    Rows with an integer key are bound by that integer as a 128-bit value; it can never equal
    a random (version 4) UUID, whose version bits are set, so the two kinds never collide.
    """
    row = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(int=row_id)
    return b"|".join(
        (b"speakup/field/v1", case_id.bytes, model_label.encode(), field.encode(), row.bytes)
    )


class CaseCipher:
    """Seals and opens one case's values with its (already unwrapped) data key."""

    __slots__ = ("_aead", "_key", "case_id")

    def __init__(self, *, case_id: uuid.UUID, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise ValueError("A data key is 32 bytes.")
        self.case_id = case_id
        self._key = data_key
        self._aead = AESGCM(data_key)

    # --- fields -----------------------------------------------------------------------------
    def seal(self, plaintext: bytes, *, model_label: str, field: str, row_id: RowId) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        ad = field_ad(case_id=self.case_id, model_label=model_label, field=field, row_id=row_id)
        return FIELD_VERSION + nonce + self._aead.encrypt(nonce, plaintext, ad)

    def open(self, sealed: bytes, *, model_label: str, field: str, row_id: RowId) -> bytes:
        """Return the plaintext, or raise ``CaseDataUnreadable`` if anything was altered."""
        sealed = bytes(sealed)
        if len(sealed) < 1 + NONCE_BYTES + _TAG_BYTES or sealed[:1] != FIELD_VERSION:
            raise CaseDataUnreadable()
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        ad = field_ad(case_id=self.case_id, model_label=model_label, field=field, row_id=row_id)
        try:
            return self._aead.decrypt(nonce, body, ad)
        except InvalidTag:
            raise CaseDataUnreadable() from None

    # --- files ------------------------------------------------------------------------------
    def _file_aead(self, salt: bytes, file_id: uuid.UUID) -> AESGCM:
        # A fresh key per file (HKDF from the data key and a random salt), so chunk nonces can
        # be a plain counter without ever repeating under one key.
        info = b"speakup/evidence/v1|" + self.case_id.bytes + b"|" + file_id.bytes
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info)
        return AESGCM(hkdf.derive(self._key))

    @staticmethod
    def _chunk_nonce(index: int, last: bool) -> bytes:
        return index.to_bytes(NONCE_BYTES - 1, "big") + (b"\x01" if last else b"\x00")

    def seal_stream(self, source: Readable, sink: IO[bytes], *, file_id: uuid.UUID) -> int:
        """Encrypt ``source`` into ``sink`` chunk by chunk; returns the plaintext size.

        Only ciphertext is ever written: the plaintext is held one chunk at a time in memory.
        """
        salt = os.urandom(FILE_SALT_BYTES)
        aead = self._file_aead(salt, file_id)
        sink.write(FILE_MAGIC + salt)
        total, index = 0, 0
        current = source.read(CHUNK_BYTES)
        while True:
            following = source.read(CHUNK_BYTES) if len(current) == CHUNK_BYTES else b""
            last = not following
            sink.write(aead.encrypt(self._chunk_nonce(index, last), current, FILE_MAGIC))
            total += len(current)
            if last:
                return total
            current, index = following, index + 1

    def open_stream(self, source: Readable, *, file_id: uuid.UUID) -> Iterator[bytes]:
        """Yield verified plaintext chunks; raise ``CaseDataUnreadable`` on any alteration.

        Each chunk is authenticated before it is yielded, and a missing last chunk (a
        truncated file) raises instead of ending quietly.
        """
        header = source.read(len(FILE_MAGIC) + FILE_SALT_BYTES)
        if len(header) != len(FILE_MAGIC) + FILE_SALT_BYTES or not header.startswith(FILE_MAGIC):
            raise CaseDataUnreadable()
        aead = self._file_aead(header[len(FILE_MAGIC) :], file_id)
        size = CHUNK_BYTES + _TAG_BYTES
        index = 0
        current = source.read(size)
        while True:
            following = source.read(size) if len(current) == size else b""
            last = not following
            try:
                yield aead.decrypt(self._chunk_nonce(index, last), current, FILE_MAGIC)
            except InvalidTag:
                raise CaseDataUnreadable() from None
            if last:
                return
            current, index = following, index + 1
