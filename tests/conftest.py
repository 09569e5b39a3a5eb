"""Shared fixtures and the rules for tests that need a real service.

Tests marked ``postgres``, ``redis`` or ``browser`` need PostgreSQL, Redis (with a real
Celery worker) or Debian's chromium. Outside CI they skip, saying how to enable them; with
``CI=true`` a missing service fails the run instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connection

from cases.models import CaseType
from tests.builders import make_case, make_case_type

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path("/usr/bin/chromium")
REDIS_URL = os.environ.get("SPEAKUP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _missing(what: str, how: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available: {how}", pytrace=False)
    pytest.skip(f"{what} not available; {how}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of scripts/test (DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") and not _reachable(REDIS_URL, 6379):
        _missing("Redis", f"start Redis or set SPEAKUP_TEST_REDIS_URL (now {REDIS_URL})")
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        _missing("Chromium", "install Debian's chromium package (apt-get install chromium)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """PBKDF2 is deliberately slow; tests hash with MD5 (never used outside tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _evidence_dir(settings, tmp_path: Path) -> Iterator[Path]:
    """Each test stores evidence in its own folder."""
    folder = tmp_path / "evidence"
    settings.SPEAKUP_EVIDENCE_DIR = folder
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def case_type(db: None) -> CaseType:
    return make_case_type()


@pytest.fixture
def case(case_type):
    return make_case(case_type=case_type)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(username="handler", password="not-used-123!")
