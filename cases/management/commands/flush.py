"""Django's ``flush``, run as the owner of the tables with the audit guards lifted.

Emptying the database is the owner's job: on PostgreSQL the application's role may not
truncate the audit tables, and their triggers refuse TRUNCATE (and on SQLite DELETE) from
anyone. So when ``DATABASE_OWNER_URL`` names the owner, a flush of the default database connects
as the owner, and it lifts those triggers inside its own transaction only
(``cases/dbroles.py``). The test suite flushes through this after each transactional test.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from cases.dbroles import audit_guards_lifted, connected_as_owner


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with (
            connected_as_owner(options["database"]) as connection,
            audit_guards_lifted(connection),
        ):
            super().handle(**options)
