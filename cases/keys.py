"""Case data keys in the database: create, unwrap, re-wrap (rotation) and destroy (shredding).

The only module that reads or writes ``DataKey`` rows. Master keys come from settings
(``Keyring.from_settings``) and never touch the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction

from cases.batch import ids_condition
from cases.crypto import (
    CaseCipher,
    Keyring,
    data_key_generate,
    data_key_unwrap,
    data_key_wrap,
)
from cases.exceptions import CaseKeyDestroyed
from cases.models import DataKey
from cases.page_scope import page_kept


def data_key_prepare(*, case_id: uuid.UUID) -> tuple[CaseCipher, DataKey]:
    """A fresh data key for a new case: its cipher, and its wrapped row, not yet saved.

    The caller saves the row in the transaction that creates the case, so a case never
    exists without its key and its first history row already holds sealed values.
    """
    keyring = Keyring.from_settings()
    data_key = data_key_generate()
    key_id, wrapped = data_key_wrap(case_id=case_id, data_key=data_key, keyring=keyring)
    row = DataKey(case_id=case_id, master_key_id=key_id, wrapped=wrapped)
    return CaseCipher(case_id=case_id, data_key=data_key), row


def case_cipher(case_id: uuid.UUID) -> CaseCipher:
    """The cipher of one case. Raises ``CaseKeyDestroyed`` once its key has been shredded and
    ``MasterKeyMismatch`` when the configured master keys cannot unwrap it. Read once in a
    page scope (``cases.page_scope``), however many of the page's parts open it."""
    return page_kept(("case_cipher", case_id), lambda: _case_cipher_read(case_id))


def _case_cipher_read(case_id: uuid.UUID) -> CaseCipher:
    row = DataKey.objects.filter(case_id=case_id).values_list("master_key_id", "wrapped").first()
    if row is None:
        raise CaseKeyDestroyed()
    key_id, wrapped = row
    data_key = data_key_unwrap(
        case_id=case_id, key_id=key_id, wrapped=bytes(wrapped), keyring=Keyring.from_settings()
    )
    return CaseCipher(case_id=case_id, data_key=data_key)


def data_key_destroy(*, case_id: uuid.UUID) -> bool:
    """Crypto-shred a case: delete its data key, so every copy of its content (current rows,
    history rows, evidence files, backups once the master key epoch is retired) becomes
    unreadable. Returns whether a key was there to delete."""
    deleted, _ = DataKey.objects.filter(case_id=case_id).delete()
    return deleted > 0


def data_keys_destroy(*, case_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """``data_key_destroy`` for many cases in one statement (the purge's batches): returns
    the cases that had a key to delete."""
    case_field = DataKey._meta.get_field("case")
    column = connection.ops.quote_name(case_field.column)
    condition, params = ids_condition(column, case_field.target_field, case_ids)
    table = connection.ops.quote_name(DataKey._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {condition} RETURNING {column}", params)  # noqa: S608
        return {case_field.to_python(case_id) for (case_id,) in cursor.fetchall()}


@dataclass(frozen=True)
class RewrapResult:
    rewrapped: int
    remaining: int


def data_keys_rewrap(*, batch_size: int = 500, max_batches: int | None = None) -> RewrapResult:
    """Re-wrap every data key not yet under the active master key, in batches.

    Only data keys change; no field or file is re-encrypted. Each batch commits on its own, so
    an interrupted run loses nothing and the next run carries on where it stopped. Rows locked
    by another run are skipped, so two runs at once do not clash.
    """
    keyring = Keyring.from_settings()
    rewrapped, batches = 0, 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            rows = list(
                DataKey.objects.exclude(master_key_id=keyring.active)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                break
            for row in rows:
                data_key = data_key_unwrap(
                    case_id=row.case_id,
                    key_id=row.master_key_id,
                    wrapped=bytes(row.wrapped),
                    keyring=keyring,
                )
                row.master_key_id, row.wrapped = data_key_wrap(
                    case_id=row.case_id, data_key=data_key, keyring=keyring
                )
            DataKey.objects.bulk_update(rows, ["master_key_id", "wrapped"])
        rewrapped += len(rows)
        batches += 1
    remaining = DataKey.objects.exclude(master_key_id=keyring.active).count()
    return RewrapResult(rewrapped=rewrapped, remaining=remaining)


class MasterKeyStillInUse(Exception):
    """A master key cannot be retired: it is the active key, or data keys still need it."""


def master_key_retire(*, key_id: str, batch_size: int = 500) -> RewrapResult:
    """Prepare the retirement of the master key ``key_id`` (an epoch): re-wrap every live
    data key under the active key, then check that none is left under ``key_id``.

    The key itself lives outside the database, so the operator then removes it from
    ``SPEAKUP_MASTER_KEYS`` and destroys every copy. From then on no database backup,
    however old, can unwrap the data key of a case shredded since it was taken: the key
    that wrapped it there is gone (docs/operations.md, "Backups and deletion").
    Raises ``MasterKeyStillInUse`` if ``key_id`` is the active key or not configured.
    """
    keyring = Keyring.from_settings()
    if key_id == keyring.active:
        raise MasterKeyStillInUse(
            f"{key_id!r} is the active master key: make another key active first."
        )
    if key_id not in keyring.keys:
        raise MasterKeyStillInUse(f"{key_id!r} is not among the configured master keys.")
    result = data_keys_rewrap(batch_size=batch_size)
    left = DataKey.objects.filter(master_key_id=key_id).count()
    if left:  # rows locked by another run, or written meanwhile by an old process
        raise MasterKeyStillInUse(f"{left} data key(s) still need {key_id!r}; run this again.")
    return result
