"""Make the two PostgreSQL roles the test suite uses, as production does (docs/operations.md).

    python scripts/_pg_roles.py postgres://postgres@127.0.0.1:5432/test
    -> prints the owner's URL and the application's URL, on one line

The URL given names a role that may create roles (the server's superuser on a test machine).
The roles are named after the database (speakup_<database>_owner and ..._app), so runs
against other databases on the same server never share a role, and making them is safe to
repeat and to run twice at once. The owner may create databases: it makes, migrates, flushes
and drops the test database; the application's role owns nothing.
"""

from __future__ import annotations

import contextlib
import re
import sys
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql

PASSWORD = "speakup-test-only"  # noqa: S105  (test roles on a test server)


def main(admin_url: str) -> None:
    parts = urlsplit(admin_url)
    database = parts.path.lstrip("/") or "postgres"
    prefix = "speakup_" + re.sub(r"[^a-z0-9_]", "_", database.lower())
    owner, app = f"{prefix}_owner"[:63], f"{prefix}_app"[:63]
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        for role, options in ((owner, "LOGIN CREATEDB"), (app, "LOGIN")):
            # Already there if an earlier or a simultaneous run made it.
            with contextlib.suppress(errors.DuplicateObject, errors.UniqueViolation):
                conn.execute(
                    sql.SQL("CREATE ROLE {} " + options + " PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(PASSWORD)
                    )
                )
        # A test database left behind by a run as another role: hand it to the owner, who
        # drops it and makes it afresh.
        test_database = f"test_{database}"
        row = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
            [test_database],
        ).fetchone()
        if row and row[0] != owner:
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(test_database), sql.Identifier(owner)
                )
            )

    def url(role: str) -> str:
        host = parts.hostname or "127.0.0.1"
        netloc = f"{quote(role)}:{quote(PASSWORD)}@{host}:{parts.port or 5432}"
        return urlunsplit(parts._replace(netloc=netloc))

    print(url(owner), url(app))


if __name__ == "__main__":
    main(sys.argv[1])
