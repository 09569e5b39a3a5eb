"""Wrapping case data keys under a master key (docs/decisions/0002): no wrap ever reuses a
nonce, and a wrapped key opens only for the case (and the master key) it was wrapped for.

AES-GCM under one key with a repeated nonce repeats its keystream, which gives away the XOR
of two data keys and lets tags be forged; so these tests look at the keystream itself, not
only at how the nonce is chosen. A wrapped key is ``nonce (12) | ciphertext (32) | tag (16)``.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import connection

from cases.crypto import Keyring, data_key_unwrap, data_key_wrap
from cases.exceptions import MasterKeyMismatch
from cases.keys import case_cipher, data_keys_rewrap
from cases.models import DataKey
from cases.selectors import case_content
from tests.builders import make_case

NONCE, KEY, TAG = 12, 32, 16


def _keystream(wrapped: bytes, data_key: bytes) -> bytes:
    body = wrapped[NONCE : NONCE + KEY]
    return (int.from_bytes(body) ^ int.from_bytes(data_key)).to_bytes(KEY)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(keys={"k1": os.urandom(32), "k2": os.urandom(32)}, active="k1")


def test_twenty_thousand_wraps_under_one_master_key_never_repeat_a_nonce(keyring):
    case_id = uuid.uuid4()
    nonces, keystreams = set(), set()
    for _ in range(20_000):
        data_key = os.urandom(KEY)
        _, wrapped = data_key_wrap(case_id=case_id, data_key=data_key, keyring=keyring)
        assert len(wrapped) == NONCE + KEY + TAG
        nonces.add(wrapped[:NONCE])
        keystreams.add(_keystream(wrapped, data_key))
    assert len(nonces) == len(keystreams) == 20_000


def test_the_same_data_key_wrapped_again_never_comes_out_the_same(keyring):
    # Rotation wraps the same data key for the same case again: identical inputs, so only a
    # fresh nonce keeps the outputs apart.
    case_id, data_key = uuid.uuid4(), os.urandom(KEY)
    wrapped = {data_key_wrap(case_id=case_id, data_key=data_key, keyring=keyring)[1]}
    for _ in range(999):
        wrapped.add(data_key_wrap(case_id=case_id, data_key=data_key, keyring=keyring)[1])
    assert len(wrapped) == 1000
    assert len({w[:NONCE] for w in wrapped}) == 1000


@pytest.mark.django_db
def test_new_cases_and_a_rotation_never_repeat_a_nonce_in_the_stored_keys(settings):
    old = dict(settings.SPEAKUP_MASTER_KEYS)
    cases = [make_case() for _ in range(12)]
    before = [bytes(w) for w in DataKey.objects.values_list("wrapped", flat=True)]
    settings.SPEAKUP_MASTER_KEYS = {**old, "next": os.urandom(32)}
    settings.SPEAKUP_ACTIVE_MASTER_KEY = "next"
    assert data_keys_rewrap().rewrapped == len(cases)
    after = [bytes(w) for w in DataKey.objects.values_list("wrapped", flat=True)]
    assert len({w[:NONCE] for w in before + after}) == 2 * len(cases)


def test_a_wrapped_key_unwrapped_for_another_case_fails(keyring):
    mine, other, data_key = uuid.uuid4(), uuid.uuid4(), os.urandom(KEY)
    key_id, wrapped = data_key_wrap(case_id=mine, data_key=data_key, keyring=keyring)
    assert data_key_unwrap(case_id=mine, key_id=key_id, wrapped=wrapped, keyring=keyring) == (
        data_key
    )
    with pytest.raises(MasterKeyMismatch):
        data_key_unwrap(case_id=other, key_id=key_id, wrapped=wrapped, keyring=keyring)


def test_a_wrapped_key_labelled_with_another_master_key_fails(keyring):
    case_id, data_key = uuid.uuid4(), os.urandom(KEY)
    _, wrapped = data_key_wrap(case_id=case_id, data_key=data_key, keyring=keyring)
    with pytest.raises(MasterKeyMismatch):
        data_key_unwrap(case_id=case_id, key_id="k2", wrapped=wrapped, keyring=keyring)


@pytest.mark.django_db
def test_a_data_key_copied_into_another_cases_row_opens_nothing():
    mine = make_case(answers={"what_happened": "mine"})
    other = make_case(answers={"what_happened": "other"})
    stolen = DataKey.objects.get(case=mine)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_datakey SET wrapped = %s, master_key_id = %s WHERE case_id = %s",
            [
                bytes(stolen.wrapped),
                stolen.master_key_id,
                DataKey._meta.pk.get_db_prep_value(other.pk, connection),
            ],
        )
    with pytest.raises(MasterKeyMismatch):
        case_cipher(other.pk)
    with pytest.raises(MasterKeyMismatch):
        case_content(other)
    assert case_content(mine).answers["what_happened"] == "mine"
