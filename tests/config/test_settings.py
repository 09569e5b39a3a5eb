"""Start-up refuses missing or bad secrets, with the variable's name, before writing anything."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def _start(env: dict[str, str], *command: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPEAKUP_", "DJANGO_", "DATABASE_", "CELERY_"))
    }
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "config.settings", "SPEAKUP_DATA_DIR": str(tmp_path), **env}
    )
    args = command or ("-c", "import django; django.setup()")
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_settings_start_when_every_secret_is_given(tmp_path):
    result = _start(PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


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
    result = _start(env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr
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
    result = _start({**PRODUCTION, "SPEAKUP_MASTER_KEYS": value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert complaint in result.stderr
    assert "SPEAKUP_MASTER_KEYS" in result.stderr


def test_the_active_key_must_be_one_of_the_keys(tmp_path):
    result = _start({**PRODUCTION, "SPEAKUP_ACTIVE_MASTER_KEY": "k9"}, tmp_path=tmp_path)
    assert "SPEAKUP_ACTIVE_MASTER_KEY" in result.stderr and result.returncode != 0


def test_the_pepper_must_not_be_the_secret_key(tmp_path):
    same = {**PRODUCTION, "SPEAKUP_TOKEN_PEPPER": PRODUCTION["DJANGO_SECRET_KEY"]}
    result = _start(same, tmp_path=tmp_path)
    assert "must differ from DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("url", "ok"), [("http://idp.example.org", False), ("https://idp.example.org", True)]
)
def test_single_sign_on_must_use_https_in_production(tmp_path, url, ok):
    sso = {
        "SPEAKUP_OIDC_SERVER_URL": url,
        "SPEAKUP_OIDC_CLIENT_ID": "speakup",
        "SPEAKUP_OIDC_CLIENT_SECRET": "s3cret",
    }
    result = _start({**PRODUCTION, **sso}, tmp_path=tmp_path)
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert "SPEAKUP_OIDC_SERVER_URL must be an https://" in result.stderr


def test_debug_is_refused_outside_development(tmp_path):
    result = _start({**PRODUCTION, "DJANGO_DEBUG": "true"}, tmp_path=tmp_path)
    assert "DJANGO_DEBUG" in result.stderr and result.returncode != 0


def test_a_misspelt_boolean_is_refused(tmp_path):
    result = _start({**PRODUCTION, "SPEAKUP_DEV": "yes please"}, tmp_path=tmp_path)
    assert "SPEAKUP_DEV must be true or false" in result.stderr


def test_master_keys_can_come_from_a_key_file(tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text(f"# rotated 2026\nk1:{GOOD_KEY}\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SPEAKUP_MASTER_KEYS"}
    result = _start({**env, "SPEAKUP_MASTER_KEYS_FILE": str(key_file)}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_development_mode_makes_private_local_secrets_once(tmp_path):
    code = "from django.conf import settings as s; print(s.SECRET_KEY, s.SPEAKUP_ACTIVE_MASTER_KEY)"
    first = _start(
        {"SPEAKUP_DEV": "true"}, "-c", f"import django; django.setup(); {code}", tmp_path=tmp_path
    )
    second = _start(
        {"SPEAKUP_DEV": "true"}, "-c", f"import django; django.setup(); {code}", tmp_path=tmp_path
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout  # read back, not made again
    secrets_file = tmp_path / "dev-secrets.env"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    text = secrets_file.read_text()
    assert "SPEAKUP_MASTER_KEYS=dev1:" in text and "SPEAKUP_TOKEN_PEPPER=" in text


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


def test_sqlite_is_tuned_for_concurrent_use(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection as c; "
        "cur = c.cursor(); cur.execute('PRAGMA journal_mode'); "
        "print(cur.fetchone()[0], c.settings_dict['OPTIONS']['transaction_mode'], "
        "c.settings_dict['OPTIONS']['timeout'])"
    )
    result = _start({"SPEAKUP_DEV": "true"}, "-c", code, tmp_path=tmp_path)
    assert result.stdout.split() == ["wal", "IMMEDIATE", "20"], result.stderr


@pytest.mark.parametrize(("length", "ok"), [(49, False), (50, True)])
def test_production_refuses_a_secret_key_shorter_than_fifty_characters(tmp_path, length, ok):
    result = _start({**PRODUCTION, "DJANGO_SECRET_KEY": "s" * length}, tmp_path=tmp_path)
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert "DJANGO_SECRET_KEY must be at least 50 characters" in result.stderr


def test_production_caches_through_the_bounded_layer(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND'])"
    )
    result = _start(PRODUCTION, "-c", code, tmp_path=tmp_path)
    assert result.stdout.strip() == "ops.cache.ResilientRedisCache", result.stderr
