"""The cast built once for each run of consecutive tests that ask for it, as Django's
``TestCase.setUpTestData`` does for a class (docs/decisions/0017-fast-test-pass.md).

The cast (tests/conftest.py) is eleven people, a case type and a case with its keys, its
assignments and an exclusion made through the services: about 50 ms a test, and about three
tests in every five ask for it. Rebuilding it for each of them was a quarter of pass 1's CPU.

How it stays honest:

- **The database.** Before the first test of a run asking for the cast sets up its fixtures,
  an outer transaction is opened and the cast is built in it. Each test then runs, as before,
  in its own transaction, which is now a savepoint inside the outer one and is rolled back at
  the test's end: every test starts from the same freshly built cast, whatever the tests
  before it did. The outer transaction is rolled back before the first test that does not ask
  for the cast (so no other test sees the cast's rows), before a test that needs real commits
  (``transaction=True``, ``transactional_db``, ``live_server``), and at the end of the run.
- **The objects.** Each test gets deep copies of the cast's model instances (as
  ``setUpTestData``'s ``TestData`` does), so a change a test makes to ``cast.case`` in memory
  is not seen by the next.
- **The clock.** The cast is built again when the local date has changed since it was built or
  after a minute, so that nothing dated from its making (an investigator's end date 30 days on,
  the acknowledgement deadline) is older than a test expects.

``SPEAKUP_SHARED_CAST=0`` builds the cast inside each test again, as before, to tell whether a
failure comes from the sharing.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from typing import Any

import pytest

ENABLED = os.environ.get("SPEAKUP_SHARED_CAST", "1") != "0"
MAX_AGE_SECONDS = 60.0
# Fixtures that make a test commit for real: the cast cannot sit in a transaction around it.
_COMMITTING = {"transactional_db", "live_server", "django_db_reset_sequences"}


class _Shared:
    def __init__(self) -> None:
        self.database_ready = False
        self.atomic: Any = None
        self.originals: dict[str, Any] | None = None
        self.built_on: Any = None
        self.built_at = 0.0
        self.builds = 0


_shared = _Shared()


def database_ready() -> None:
    """Called once the session's test database exists (tests/conftest.py's django_db_setup)."""
    _shared.database_ready = True


def _wants_it(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if "cast" not in names or names & _COMMITTING:
        return False
    marker = item.get_closest_marker("django_db")
    if marker:
        from pytest_django.fixtures import validate_django_db

        transactional, reset_sequences, _, serialized_rollback, _ = validate_django_db(marker)
        if transactional or reset_sequences or serialized_rollback:
            return False
    return True


def _stale() -> bool:
    from django.utils import timezone

    return (
        _shared.built_on != timezone.localdate()
        or time.monotonic() - _shared.built_at > MAX_AGE_SECONDS
    )


def _blocker(config: pytest.Config) -> Any:
    from pytest_django.plugin import blocking_manager_key

    return config.stash[blocking_manager_key]


def close(config: pytest.Config) -> None:
    """Roll the outer transaction back, and the cast with it."""
    if _shared.atomic is None:
        return
    from django.db import transaction

    atomic, _shared.atomic, _shared.originals = _shared.atomic, None, None
    with _blocker(config).unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def before_setup(item: pytest.Item, build: Callable[[], dict[str, Any]]) -> None:
    """Open (or close) the outer transaction before the test's fixtures are set up."""
    wanted = ENABLED and _shared.database_ready and _wants_it(item)
    if _shared.atomic is not None and (not wanted or _stale()):
        close(item.config)
    if not wanted or _shared.atomic is not None:
        return
    from django.db import transaction
    from django.utils import timezone

    with _blocker(item.config).unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            originals = build()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    _shared.atomic, _shared.originals = atomic, originals
    _shared.built_on, _shared.built_at = timezone.localdate(), time.monotonic()
    _shared.builds += 1


def current() -> dict[str, Any] | None:
    """Fresh copies of the shared cast's objects, or None when this test builds its own."""
    if _shared.originals is None:
        return None
    return copy.deepcopy(_shared.originals)


def builds() -> int:
    """How many times this process built the shared cast (for the CPU report)."""
    return _shared.builds
