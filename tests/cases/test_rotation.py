import base64
import os
from io import StringIO

import pytest
from django.core.management import call_command

from cases.exceptions import MasterKeyMismatch
from cases.models import DataKey
from cases.selectors import case_content
from tests.builders import make_case

NEW_KEY = base64.b64encode(os.urandom(32)).decode()


def _rotate(**options):
    out = StringIO()
    call_command("rotate_master_key", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def cases_under_old_key(case_type):
    return [make_case(case_type=case_type, answers={"n": str(i)}) for i in range(7)]


@pytest.fixture
def new_key_active(settings):
    old = dict(settings.SPEAKUP_MASTER_KEYS)
    settings.SPEAKUP_MASTER_KEYS = {**old, "new": base64.b64decode(NEW_KEY)}
    settings.SPEAKUP_ACTIVE_MASTER_KEY = "new"
    return old


@pytest.mark.django_db
def test_rotation_rewraps_every_data_key_and_old_key_can_then_go(
    cases_under_old_key, new_key_active, settings
):
    old_ids = set(DataKey.objects.values_list("master_key_id", flat=True))
    assert old_ids and "new" not in old_ids
    before = {pk: bytes(w) for pk, w in DataKey.objects.values_list("case_id", "wrapped")}

    assert _rotate(batch_size=3) == "Re-wrapped 7 data keys; 0 remaining.\n"

    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {"new"}
    after = {pk: bytes(w) for pk, w in DataKey.objects.values_list("case_id", "wrapped")}
    assert all(before[pk] != after[pk] for pk in before)

    settings.SPEAKUP_MASTER_KEYS = {"new": base64.b64decode(NEW_KEY)}
    assert [case_content(c).answers["n"] for c in cases_under_old_key] == [str(i) for i in range(7)]


@pytest.mark.django_db
def test_rotation_resumes_after_being_stopped_half_way(
    cases_under_old_key, new_key_active, settings
):
    assert _rotate(batch_size=2, max_batches=2) == "Re-wrapped 4 data keys; 3 remaining.\n"
    # Half-way, every case still decrypts: both keys are configured.
    assert all(case_content(c).answers for c in cases_under_old_key)
    assert _rotate(batch_size=2) == "Re-wrapped 3 data keys; 0 remaining.\n"
    assert _rotate() == "Re-wrapped 0 data keys; 0 remaining.\n"
    settings.SPEAKUP_MASTER_KEYS = {"new": base64.b64decode(NEW_KEY)}
    assert all(case_content(c).answers for c in cases_under_old_key)


@pytest.mark.django_db
def test_removing_the_old_key_before_rotation_gives_a_clear_error(cases_under_old_key, settings):
    settings.SPEAKUP_MASTER_KEYS = {"new": base64.b64decode(NEW_KEY)}
    settings.SPEAKUP_ACTIVE_MASTER_KEY = "new"
    with pytest.raises(MasterKeyMismatch, match="is not configured"):
        case_content(cases_under_old_key[0])


@pytest.mark.django_db
def test_a_wrong_key_under_the_right_id_gives_a_clear_error(cases_under_old_key, settings):
    key_id = next(iter(settings.SPEAKUP_MASTER_KEYS))
    settings.SPEAKUP_MASTER_KEYS = {key_id: os.urandom(32)}
    with pytest.raises(MasterKeyMismatch, match="cannot unwrap"):
        case_content(cases_under_old_key[0])
