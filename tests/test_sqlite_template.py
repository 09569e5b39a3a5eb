"""The SQLite test database made from a saved, migrated copy (tests/sqlite_template.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests import sqlite_template


def test_the_test_database_has_every_migration_applied(db):
    """Made from the copy or migrated from nothing, the database holds what migrate makes."""
    loader = MigrationLoader(connection)
    assert set(loader.graph.leaf_nodes()) <= loader.applied_migrations.keys()
    assert set(loader.graph.nodes) == set(loader.applied_migrations)


@pytest.fixture
def one_app(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "app" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_initial.py").write_text("operations = []\n")
    monkeypatch.setattr(
        "django.apps.apps.get_app_configs",
        lambda: [SimpleNamespace(label="app", path=str(tmp_path / "app"))],
    )
    return Path(folder)


def test_the_copy_is_named_after_every_migration_file(one_app):
    first = sqlite_template.template_path()
    assert sqlite_template.template_path() == first
    (one_app / "0001_initial.py").write_text("operations = []  # edited\n")
    edited = sqlite_template.template_path()
    assert edited != first
    (one_app / "0002_more.py").write_text("operations = []\n")
    assert sqlite_template.template_path() not in {first, edited}


def test_the_first_process_saves_its_migrated_database_and_the_next_starts_from_it(
    tmp_path, monkeypatch
):
    """Migrate still runs after the copy (so a copy lacking a migration is brought up to
    date, and post_migrate's work is done), and other commands or databases pass through."""
    template = tmp_path / "template.sqlite3"
    monkeypatch.setattr(sqlite_template, "template_path", lambda: template)
    seen: list[tuple[str, str, bool]] = []

    def call_command(name, *args, database="default", **options):
        tables = {row[0] for row in target.connection.execute("select name from sqlite_master")}
        seen.append((name, database, "migrated" in tables))
        if name == "migrate" and database == "default":
            target.connection.execute("create table if not exists migrated (n integer)")

    monkeypatch.setattr("django.core.management.call_command", call_command)
    from django.core import management

    for _ in range(2):  # two processes, one after the other, each with a new database
        target = SimpleNamespace(
            alias="default",
            ensure_connection=lambda: None,
            connection=sqlite3.connect(":memory:"),
        )
        with sqlite_template.migrations_from_template(target):
            management.call_command("migrate", database="default")
            management.call_command("migrate", database="owner")
            management.call_command("createcachetable", database="default")
        assert template.is_file()
    assert seen == [
        # The first finds an empty database, migrates it and saves it...
        ("migrate", "default", False),
        ("migrate", "owner", True),
        ("createcachetable", "default", True),
        # ...the second finds the copy already in place when its migrate starts.
        ("migrate", "default", True),
        ("migrate", "owner", True),
        ("createcachetable", "default", True),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["template.sqlite3"]
