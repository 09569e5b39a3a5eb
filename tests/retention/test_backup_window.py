"""A database backup taken before a purge cannot decrypt the purged case once the master key
epoch that wrapped its data key is retired; live cases are re-wrapped and stay readable."""

from __future__ import annotations

import json
import os

import pytest
from django.core.management import CommandError, call_command

from cases.crypto import CaseCipher, Keyring, data_key_unwrap
from cases.exceptions import MasterKeyMismatch
from cases.keys import case_cipher
from cases.models import Case, DataKey
from cases.selectors import case_content
from retention.purge import purge_due_cases
from tests.builders import make_case
from tests.retention.conftest import close


def _key() -> bytes:
    return os.urandom(32)


@pytest.mark.django_db
def test_a_backup_from_before_a_purge_is_unreadable_once_its_epoch_is_retired(
    settings, after_retention
):
    old, new = _key(), _key()
    settings.SPEAKUP_MASTER_KEYS = {"k2026": old}
    settings.SPEAKUP_ACTIVE_MASTER_KEY = "k2026"
    purged = close(make_case(answers={"what_happened": "secret words"}))
    live = make_case(answers={"what_happened": "still open"})
    # The backup: the rows as they were (wrapped key and ciphertext).
    backup_key = DataKey.objects.values_list("master_key_id", "wrapped").get(case_id=purged.pk)
    backup_answers = bytes(Case.objects.values_list("answers", flat=True).get(pk=purged.pk))
    # With the old key, the backup opens.
    opened = CaseCipher(
        case_id=purged.pk,
        data_key=data_key_unwrap(
            case_id=purged.pk,
            key_id="k2026",
            wrapped=bytes(backup_key[1]),
            keyring=Keyring.from_settings(),
        ),
    ).open(backup_answers, model_label="cases.case", field="answers", row_id=purged.pk)
    assert json.loads(opened) == {"what_happened": "secret words"}

    purge_due_cases(today=after_retention)
    settings.SPEAKUP_MASTER_KEYS = {"k2026": old, "k2027": new}
    settings.SPEAKUP_ACTIVE_MASTER_KEY = "k2027"
    with pytest.raises(CommandError, match="active master key"):
        call_command("retire_master_key", "k2027")
    call_command("retire_master_key", "k2026")
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {"k2027"}
    # The operator removes and destroys the old key.
    settings.SPEAKUP_MASTER_KEYS = {"k2027": new}
    with pytest.raises(MasterKeyMismatch):
        data_key_unwrap(
            case_id=purged.pk,
            key_id=backup_key[0],
            wrapped=bytes(backup_key[1]),
            keyring=Keyring.from_settings(),
        )
    # Even the new key cannot open the old wrapping, and the live case reads on.
    with pytest.raises(MasterKeyMismatch):
        data_key_unwrap(
            case_id=purged.pk,
            key_id="k2027",
            wrapped=bytes(backup_key[1]),
            keyring=Keyring.from_settings(),
        )
    assert case_content(Case.objects.get(pk=live.pk)).answers == {"what_happened": "still open"}
    assert case_cipher(live.pk)
