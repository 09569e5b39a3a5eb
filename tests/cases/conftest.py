"""Fixtures for the audit record's tests: a few chained cases, and a way in as the database's
owner with raw SQL and the append-only triggers out of the way (what a tamperer could do)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.backends.utils import CursorWrapper

from cases.audit import case_chain, event_record
from cases.models import Case, CaseEvent
from tests.builders import make_case
from tests.conftest import _missing


@dataclass
class Scene:
    """Two cases: ``case`` with four events, ``other`` (made first) with two."""

    case: Case
    other: Case
    events: list[int]  # ids of ``case``'s events, in chain order

    @property
    def chain(self) -> str:
        return case_chain(self.case.pk)

    @property
    def other_chain(self) -> str:
        return case_chain(self.other.pk)


def make_scene(actor) -> Scene:
    other = make_case()
    event_record(case=other, code="case.viewed", actor=actor, payload={"view": "view"})
    case = make_case()
    for view in ("view", "history", "download"):
        event_record(case=case, code="case.viewed", actor=actor, payload={"view": view})
    events = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("id", flat=True))
    return Scene(case=case, other=other, events=events)


AUDIT_TABLES = ("cases_caseevent", "permissions_accessrefusal")


@pytest.fixture
def two_roles() -> None:
    """On PostgreSQL, the suite must run as the application's role with the owner's alias
    beside it, as scripts/test sets up (DATABASE_URL and DATABASE_OWNER_URL)."""
    if connection.vendor == "postgresql" and "owner" not in settings.DATABASES:
        _missing(
            "The two database roles",
            "run the PostgreSQL pass through scripts/test, which makes them",
        )


# Tests that tamper commit their data, so that on PostgreSQL the owner's own connection sees
# it; the owner's alias exists only there. On SQLite there is one connection, which sees its
# own uncommitted rows: the test runs inside a transaction rolled back at its end, sparing the
# flush of every table (and the post-migrate work after it) that a committing test costs.
OWNER_DATABASES = ["default", "owner"] if "owner" in settings.DATABASES else ["default"]


def with_owner(test: Callable[..., None]) -> Callable[..., None]:
    """A test that may use the owner's connection (on PostgreSQL, where it commits)."""
    marked: Callable[..., None] = pytest.mark.usefixtures("two_roles")(
        pytest.mark.django_db(transaction="owner" in settings.DATABASES, databases=OWNER_DATABASES)(
            test
        )
    )
    return marked


def migrating(test: Callable[..., None]) -> Callable[..., None]:
    """A test that migrates the database back and forth as the owner: as ``with_owner``, in a
    transaction of its own on SQLite too, whose schema editor refuses to work inside the
    test's (it must turn off the foreign keys' checks, which SQLite allows only outside a
    transaction)."""
    marked: Callable[..., None] = pytest.mark.usefixtures("two_roles")(
        pytest.mark.django_db(transaction=True, databases=OWNER_DATABASES)(test)
    )
    return marked


@contextmanager
def tamperer() -> Iterator[CursorWrapper]:
    """A cursor as the owner of the tables, with the append-only triggers out of the way as
    someone set on tampering would do it (disabled on PostgreSQL, dropped on SQLite), each
    statement committed on its own; the triggers are put back when the block ends."""
    if connection.vendor == "postgresql":
        with connections["owner"].cursor() as cursor:
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            try:
                yield cursor
            finally:
                for table in AUDIT_TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
            list(AUDIT_TABLES),
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        try:
            yield cursor
        finally:
            for _name, sql in triggers:
                cursor.execute(sql)


@contextmanager
def owner_cursor() -> Iterator[CursorWrapper]:
    """A cursor as the owner of the tables, triggers untouched (the default connection on
    SQLite, which has no roles)."""
    alias = "owner" if connection.vendor == "postgresql" else "default"
    with connections[alias].cursor() as cursor:
        yield cursor


def truncate(cursor, table: str) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"TRUNCATE {table}")
    else:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608  (a fixed table name)


@pytest.fixture
def scene(staff_user) -> Scene:
    return make_scene(staff_user)
