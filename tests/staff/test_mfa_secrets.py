"""Second-factor secrets are sealed at rest under a key derived from the master keys (never
SECRET_KEY), unsealed clear values are refused, old rows are sealed by the migration, and a
master key rotation re-seals them."""

import base64
import importlib
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command

from staff.checks import mfa_secrets_sealed
from staff.mfa import MFASecretUnreadable, secret_key_id
from tests.builders import migrating
from tests.conftest import TOTP_SECRET, totp_code

NEW_KEY = "k2099:" + base64.b64encode(b"n" * 32).decode()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # A TOTP code works once (a cache entry per account and code): start each test clean.
    cache.clear()


@pytest.fixture
def handler(django_user_model):
    return django_user_model.objects.create_user(username="handler", password="x-long-pass-1")


def _raw(user, kind=Authenticator.Type.TOTP):
    return Authenticator.objects.get(user=user, type=kind).data


def test_the_totp_secret_and_recovery_seed_are_not_stored_in_clear(handler):
    TOTP.activate(handler, TOTP_SECRET)
    RecoveryCodes.activate(handler)
    stored = _raw(handler)["secret"]
    assert TOTP_SECRET not in stored and stored.startswith("speakup-mfa:v1:")
    seed = _raw(handler, Authenticator.Type.RECOVERY_CODES)["seed"]
    assert seed.startswith("speakup-mfa:v1:") and len(seed) > 60
    # ... and still work.
    assert Authenticator.objects.get(user=handler, type="totp").wrap().validate_code(totp_code())
    assert mfa_secrets_sealed() == []


def test_a_secret_planted_in_clear_is_refused_and_reported(handler):
    TOTP.activate(handler, TOTP_SECRET)
    Authenticator.objects.filter(user=handler).update(data={"secret": TOTP_SECRET})
    with pytest.raises(MFASecretUnreadable):
        Authenticator.objects.get(user=handler).wrap().validate_code(totp_code())
    assert [e.id for e in mfa_secrets_sealed()] == ["staff.E001"]


def test_a_sealed_secret_does_not_depend_on_secret_key(handler, settings):
    TOTP.activate(handler, TOTP_SECRET)
    settings.SECRET_KEY = "a-different-secret-key-" * 3
    assert Authenticator.objects.get(user=handler).wrap().validate_code(totp_code())
    settings.SPEAKUP_MASTER_KEYS = {"other": b"o" * 32}
    settings.SPEAKUP_ACTIVE_MASTER_KEY = "other"
    with pytest.raises(MFASecretUnreadable):
        Authenticator.objects.get(user=handler).wrap().validate_code(totp_code(offset=1))
    assert [e.id for e in mfa_secrets_sealed()] == ["staff.E002"]


def test_the_migration_seals_secrets_stored_in_clear(handler):
    Authenticator.objects.create(user=handler, type="totp", data={"secret": TOTP_SECRET})
    migration = importlib.import_module("staff.migrations.0001_seal_mfa_secrets")
    migration.seal(apps, migrating())
    assert secret_key_id(_raw(handler)["secret"]) is not None
    assert Authenticator.objects.get(user=handler).wrap().validate_code(totp_code())
    migration.unseal(apps, migrating())
    assert _raw(handler)["secret"] == TOTP_SECRET


def test_a_master_key_rotation_reseals_the_secrets(handler, settings):
    TOTP.activate(handler, TOTP_SECRET)
    old_id = secret_key_id(_raw(handler)["secret"])
    key_id, encoded = NEW_KEY.split(":")
    settings.SPEAKUP_MASTER_KEYS = {
        **settings.SPEAKUP_MASTER_KEYS,
        key_id: base64.b64decode(encoded),
    }
    settings.SPEAKUP_ACTIVE_MASTER_KEY = key_id
    out = StringIO()
    call_command("rewrap_mfa_secrets", stdout=out)
    assert out.getvalue().startswith("1 authenticator(s)")
    assert secret_key_id(_raw(handler)["secret"]) == key_id
    settings.SPEAKUP_MASTER_KEYS = {key_id: base64.b64decode(encoded)}
    assert old_id != key_id
    assert Authenticator.objects.get(user=handler).wrap().validate_code(totp_code())
    assert mfa_secrets_sealed() == []
    call_command("rewrap_mfa_secrets", stdout=out)
    assert "0 authenticator(s)" in out.getvalue()
