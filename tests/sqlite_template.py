"""The SQLite test database, migrated once and copied into each test process.

Every pytest process on SQLite (each xdist worker, the gate's coverage run) makes its own
in-memory test database, and migrating it from nothing costs about 4 s of CPU, most of it
Django rendering migration states: as long as several of the fast pass's tests together. So
the first process to migrate saves the result in a file named after the migrations' content
(``.local/test/sqlite-template-<hash>.sqlite3``), and later ones copy that file into their
in-memory database with SQLite's backup API (milliseconds), then run ``migrate`` as usual.
That ``migrate`` finds nothing to apply when the file is current, and applies whatever it
lacks otherwise, and it still sends ``post_migrate``, so the groups, permissions and content
types that code (not migrations) makes are brought up to date as on any deployment. A changed
migration file changes the name, so an edited migration is never skipped.

``python -m tests.sqlite_template`` makes the file ahead of time (``scripts/test`` runs it
while the linters run).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
from django.core.management import BaseCommand


def template_path() -> Path:
    """The file for the current migrations: their every file, Django's version, SQLite's."""
    from django.apps import apps
    from django.conf import settings

    digest = hashlib.sha256(f"{django.__version__} {sqlite3.sqlite_version}".encode())
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        folder = Path(config.path) / "migrations"
        for path in sorted(folder.glob("*.py")):
            digest.update(f"{config.label}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return Path(settings.DATA_DIR) / f"sqlite-template-{digest.hexdigest()[:16]}.sqlite3"


def _copy_in(path: Path, connection: Any) -> bool:
    connection.ensure_connection()
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        source.backup(connection.connection)
    except sqlite3.Error:
        return False
    finally:
        source.close()
    return True


def _save(connection: Any, path: Path) -> None:
    """Writes the migrated database to ``path`` whole or not at all (another process may be
    saving the same file at the same moment: the last rename wins, both are the same)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".partial")
    os.close(fd)
    try:
        target = sqlite3.connect(partial)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)


@contextlib.contextmanager
def migrations_from_template(connection: Any) -> Iterator[None]:
    """While a test database is made on ``connection`` (SQLite in memory), its ``migrate``
    starts from the saved file when there is one, and saves it when there was none."""
    from django.core import management

    real = management.call_command

    def call_command(command_name: BaseCommand | str, *args: Any, **options: Any) -> str:
        if command_name != "migrate" or options.get("database", "default") != connection.alias:
            return real(command_name, *args, **options)
        path = template_path()
        copied = path.is_file() and _copy_in(path, connection)
        result: str = real(command_name, *args, **options)
        if not copied:
            _save(connection, path)
        return result

    management.call_command = call_command
    try:
        yield
    finally:
        management.call_command = real


def install(connection: Any) -> None:
    """Makes ``connection``'s test database (SQLite) from the saved file from now on."""
    creation = connection.creation
    make = creation.create_test_db

    def create_test_db(*args: Any, **kwargs: Any) -> Any:
        with migrations_from_template(connection):
            return make(*args, **kwargs)

    creation.create_test_db = create_test_db


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    if connection.vendor != "sqlite":
        return 0
    if template_path().is_file():
        return 0
    with migrations_from_template(connection):
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
