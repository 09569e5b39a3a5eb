"""No migration of ours drops data, and the models match the migrations."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.apps import apps
from django.db import migrations
from django.db.migrations.loader import MigrationLoader

OUR_APPS = {"cases", "workflows", "permissions", "retention", "intake", "ops", "staff"}
DESTRUCTIVE = (migrations.RemoveField, migrations.DeleteModel, migrations.RemoveConstraint)


def test_no_migration_drops_a_column_or_table():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = [
        f"{app}.{name}: {type(operation).__name__}"
        for (app, name), migration in loader.disk_migrations.items()
        if app in OUR_APPS
        for operation in migration.operations
        if isinstance(operation, DESTRUCTIVE)
    ]
    assert offenders == []


def test_every_app_of_ours_is_installed():
    assert {config.label for config in apps.get_app_configs()} >= OUR_APPS


@pytest.mark.slow
def test_an_existing_sqlite_database_with_cases_and_triggers_migrates_up_to_date(tmp_path):
    """A database made by an earlier version, with cases, clocks and the rollup triggers, is
    brought up to date: SQLite refuses Django's rebuild of ``cases_case`` (the rename fails
    while ``workflows_clock``'s triggers name the table), so no migration may rebuild it
    (``cases/0015`` adds its column in place). Every migration of ``cases`` after the triggers
    is undone and done again on a seeded database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
        "SPEAKUP_DATA_DIR": str(tmp_path),
        "SPEAKUP_DEV": "true",
    }
    env.pop("DATABASE_OWNER_URL", None)

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    for step in (["migrate", "-v0"], ["seed_demo", "--scale", "0.02"]):
        assert manage(*step).returncode == 0
    back = manage("migrate", "cases", "0013_stub_keeps_days", "-v0")
    assert back.returncode == 0, back.stderr[-2000:]
    again = manage("migrate", "-v0")
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        (cases,) = db.execute("SELECT COUNT(*) FROM cases_case WHERE channel = 'web'").fetchone()
        (triggers,) = db.execute(
            "SELECT COUNT(*) FROM sqlite_master"
            " WHERE type = 'trigger' AND name LIKE 'reports_rollup_%'"
        ).fetchone()
    assert cases > 0 and triggers == 7
