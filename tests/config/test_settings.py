"""Start-up refuses missing or bad secrets, with the variable's name, before writing anything.

Most tests read config/settings.py in this process (``settings_under``), under an environment
made only of what the test gives, as a fresh start would see it: milliseconds instead of a
Python start-up each. A few start real processes (``_start``) to show that the in-process
reading tells the truth about a real start, and for what only a real start can show.
"""

import base64
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = base64.b64encode(b"k" * 32).decode()
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "SPEAKUP_MASTER_KEYS": f"k1:{GOOD_KEY}",
    "SPEAKUP_TOKEN_PEPPER": "p" * 40,
    "DJANGO_ALLOWED_HOSTS": "speakup.example.org",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "SPEAKUP_SMTP_HOST": "smtp.example.org",
    "SPEAKUP_EMAIL_FROM": "speak-up@example.org",
}
# The test runner's own configuration, which a start under a given environment must not see.
RUNNER_PREFIXES = ("SPEAKUP_", "DJANGO_", "DATABASE_", "CELERY_")


def _environment(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(RUNNER_PREFIXES)}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SPEAKUP_DATA_DIR": str(tmp_path),
        **env,
    }


def settings_under(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """The names config/settings.py defines when read under ``env`` alone; raises what it raises.

    The module runs afresh (not the imported copy) with ``os.environ`` replaced for the call
    and restored after, so what it sets there (development secrets) does not leak out.
    """
    with mock.patch.dict(os.environ, _environment(env, tmp_path), clear=True):
        return runpy.run_path(str(ROOT / "config" / "settings.py"))


def refusal_under(env: dict[str, str], tmp_path: Path) -> str:
    """The message of the ImproperlyConfigured that reading the settings under ``env`` raises."""
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_under(env, tmp_path)
    return str(refused.value)


def _start(env: dict[str, str], *command: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """A real Python process started under ``env`` alone (by default it sets Django up)."""
    args = command or ("-c", "import django; django.setup()")
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_environment(env, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- Real starts: the in-process reading agrees with them -----------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "refused"),
    [
        (PRODUCTION, None),
        ({**PRODUCTION, "SPEAKUP_TOKEN_PEPPER": ""}, "SPEAKUP_TOKEN_PEPPER"),
        ({**PRODUCTION, "DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
    ],
    ids=["production", "no-pepper", "debug"],
)
def test_a_real_start_does_what_the_in_process_reading_says(tmp_path, env, refused):
    real = tmp_path / "real"
    in_process = tmp_path / "in-process"
    real.mkdir(), in_process.mkdir()
    result = _start(env, tmp_path=real)
    if refused is None:
        assert result.returncode == 0, result.stderr
        assert settings_under(env, in_process)["SECRET_KEY"] == env["DJANGO_SECRET_KEY"]
    else:
        message = refusal_under(env, in_process)
        assert refused in message
        assert result.returncode != 0
        assert f"ImproperlyConfigured: {message}" in result.stderr
    assert list(real.iterdir()) == list(in_process.iterdir()) == []  # nothing written


# --- Read in this process --------------------------------------------------------------------


def test_production_settings_start_when_every_secret_is_given(tmp_path):
    values = settings_under(PRODUCTION, tmp_path)
    assert values["DEV"] is False and values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["speakup.example.org"]
    assert list(tmp_path.iterdir()) == []  # production writes nothing to start


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "SPEAKUP_MASTER_KEYS",
        "SPEAKUP_TOKEN_PEPPER",
        "DJANGO_ALLOWED_HOSTS",
        "CELERY_BROKER_URL",
        "CACHE_URL",
        "SPEAKUP_SMTP_HOST",
        "SPEAKUP_EMAIL_FROM",
    ],
)
def test_production_refuses_to_start_without_a_secret_and_names_it(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    assert missing in refusal_under(env, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("k1:" + base64.b64encode(b"short").decode(), "is 5 bytes"),
        ("k1:not-base64!!", "not valid base64"),
        ("no-id-here", "id:base64"),
        (f"k1:{GOOD_KEY},k1:{GOOD_KEY}", "listed twice"),
    ],
)
def test_a_malformed_master_key_is_refused_clearly(tmp_path, value, complaint):
    message = refusal_under({**PRODUCTION, "SPEAKUP_MASTER_KEYS": value}, tmp_path)
    assert complaint in message
    assert "SPEAKUP_MASTER_KEYS" in message


def test_the_active_key_must_be_one_of_the_keys(tmp_path):
    env = {**PRODUCTION, "SPEAKUP_ACTIVE_MASTER_KEY": "k9"}
    assert "SPEAKUP_ACTIVE_MASTER_KEY" in refusal_under(env, tmp_path)


def test_the_pepper_must_not_be_the_secret_key(tmp_path):
    same = {**PRODUCTION, "SPEAKUP_TOKEN_PEPPER": PRODUCTION["DJANGO_SECRET_KEY"]}
    assert "must differ from DJANGO_SECRET_KEY" in refusal_under(same, tmp_path)


def test_single_sign_on_must_use_https_in_production(tmp_path):
    sso = {
        **PRODUCTION,
        "SPEAKUP_OIDC_CLIENT_ID": "speakup",
        "SPEAKUP_OIDC_CLIENT_SECRET": "s3cret",
    }
    plain = {**sso, "SPEAKUP_OIDC_SERVER_URL": "http://idp.example.org"}
    assert "SPEAKUP_OIDC_SERVER_URL must be an https://" in refusal_under(plain, tmp_path)
    secure = {**sso, "SPEAKUP_OIDC_SERVER_URL": "https://idp.example.org"}
    provider = settings_under(secure, tmp_path)["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]
    assert provider["APPS"][0]["settings"] == {"server_url": "https://idp.example.org"}


def test_debug_is_refused_outside_development(tmp_path):
    assert "DJANGO_DEBUG" in refusal_under({**PRODUCTION, "DJANGO_DEBUG": "true"}, tmp_path)


def test_a_misspelt_boolean_is_refused(tmp_path):
    message = refusal_under({**PRODUCTION, "SPEAKUP_DEV": "yes please"}, tmp_path)
    assert "SPEAKUP_DEV must be true or false" in message


def test_master_keys_can_come_from_a_key_file(tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text(f"# rotated 2026\nk1:{GOOD_KEY}\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SPEAKUP_MASTER_KEYS"}
    values = settings_under({**env, "SPEAKUP_MASTER_KEYS_FILE": str(key_file)}, tmp_path)
    assert values["SPEAKUP_MASTER_KEYS"] == {"k1": b"k" * 32}


def test_development_mode_makes_private_local_secrets_once(tmp_path):
    def secrets():
        values = settings_under({"SPEAKUP_DEV": "true"}, tmp_path)
        return values["SECRET_KEY"], values["SPEAKUP_MASTER_KEYS"], values["SPEAKUP_TOKEN_PEPPER"]

    before = dict(os.environ)
    first = secrets()
    assert dict(os.environ) == before  # nothing leaks into this process
    assert secrets() == first  # read back, not made again
    secrets_file = tmp_path / "dev-secrets.env"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    text = secrets_file.read_text()
    assert "SPEAKUP_MASTER_KEYS=dev1:" in text and "SPEAKUP_TOKEN_PEPPER=" in text


@pytest.mark.slow
def test_a_wrong_master_key_stops_start_up_before_anything_is_written(tmp_path):
    dev = {"SPEAKUP_DEV": "true"}
    manage = str(ROOT / "manage.py")
    assert _start(dev, manage, "migrate", "-v0", tmp_path=tmp_path).returncode == 0
    made = _start(
        dev,
        "-c",
        "import django; django.setup(); from tests.builders import make_case; make_case()",
        tmp_path=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    database = tmp_path / "speakup.sqlite3"
    before = database.read_bytes()

    wrong = {**dev, "SPEAKUP_MASTER_KEYS": f"dev1:{GOOD_KEY}"}
    checked = _start(wrong, manage, "check", "--database", "default", tmp_path=tmp_path)
    assert checked.returncode != 0
    assert "cases.E001" in checked.stderr and "SPEAKUP_MASTER_KEYS" in checked.stderr
    migrated = _start(wrong, manage, "migrate", tmp_path=tmp_path)
    assert migrated.returncode != 0 and "cases.E001" in migrated.stderr
    assert database.read_bytes() == before

    absent = {**dev, "SPEAKUP_MASTER_KEYS": f"other:{GOOD_KEY}"}
    checked = _start(absent, manage, "check", "--database", "default", tmp_path=tmp_path)
    assert checked.returncode != 0 and "'dev1'" in checked.stderr


def test_sqlite_is_tuned_for_concurrent_use(tmp_path, django_db_blocker):
    from django.db.utils import ConnectionHandler

    database = settings_under({"SPEAKUP_DEV": "true"}, tmp_path)["DATABASES"]["default"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["OPTIONS"]["timeout"] == 20
    # A connection made from these settings, as the app makes it, really is in WAL mode.
    connection = ConnectionHandler({"default": database})["default"]
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
        finally:
            connection.close()


@pytest.mark.parametrize(("length", "ok"), [(49, False), (50, True)])
def test_production_refuses_a_secret_key_shorter_than_fifty_characters(tmp_path, length, ok):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": "s" * length}
    if ok:
        assert settings_under(env, tmp_path)["SECRET_KEY"] == "s" * length
    else:
        assert "DJANGO_SECRET_KEY must be at least 50 characters" in refusal_under(env, tmp_path)


def test_production_caches_through_the_bounded_layer(tmp_path):
    caches = settings_under(PRODUCTION, tmp_path)["CACHES"]
    assert caches["default"]["BACKEND"] == "ops.cache.ResilientRedisCache"
