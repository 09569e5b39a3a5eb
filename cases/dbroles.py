"""The two PostgreSQL roles: what the application's role may do to each table.

The application connects (``DATABASE_URL``) as a role that may read and add audit rows but
never change, remove or truncate them, and that owns nothing, so it cannot disable a trigger
or drop a table either. The owner of the tables (``DATABASE_OWNER_URL``, the ``owner``
database alias) runs ``manage.py migrate --database owner``; after every migrate it grants
the application's role exactly what this module says, so a new table is never left out and a
hand-made grant on an audit table does not survive. SQLite has one connection and no roles:
there the triggers are the guard. See docs/operations.md and
docs/decisions/0015-audit-integrity.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

OWNER_ALIAS = "owner"
# Rows the application may add and read, never change or remove.
APPEND_ONLY_TABLES = (
    "cases_caseevent",
    "permissions_accessrefusal",
    "permissions_staffevent",
    "cases_auditverification",
)
# Chain heads move forward with every link; removing one is never the application's job.
HEAD_TABLES = ("cases_audithead",)
# Counts kept by the database's own triggers (reports migration 0003, decision 0023): the
# application reads them; only the triggers, which run as the owner, and the owner's rebuild
# (``manage.py report_rollups --rebuild``) write them.
READ_ONLY_TABLES = (
    "reports_receivedrollup",
    "reports_namedrollup",
    "reports_spanrollup",
    "reports_daysrollup",
    "reports_clockrollup",
)
# Tables whose triggers refuse UPDATE, DELETE and TRUNCATE (migrations cases 0002 and 0007,
# permissions 0003, 0004 and 0005).
GUARDED_TABLES = ("cases_caseevent", "permissions_accessrefusal", "permissions_staffevent")


def app_role_grant(*, using: str = OWNER_ALIAS) -> str | None:
    """As the owner (connection ``using``), grant the application's role its privileges.

    Everything in the schema may be read and written except: the audit tables (select and
    insert only), the chain heads (no delete), the reports' rollups and Django's migration
    record (select only).
    Idempotent. Returns the role granted to, or ``None`` when there is nothing to do (not
    PostgreSQL, or the application connects as the owner itself).
    """
    owner = connections[using]
    app_role = connections[DEFAULT_DB_ALIAS].settings_dict.get("USER") or ""
    if owner.vendor != "postgresql" or not app_role:
        return None
    qn = owner.ops.quote_name
    with transaction.atomic(using=using), owner.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        current_user, schema = cursor.fetchone()
        if current_user == app_role:
            return None
        role, schema = qn(app_role), qn(schema)
        existing = set(owner.introspection.table_names(cursor))
        append_only = ", ".join(qn(t) for t in APPEND_ONLY_TABLES if t in existing)
        heads = ", ".join(qn(t) for t in HEAD_TABLES if t in existing)
        read_only = ", ".join(qn(t) for t in READ_ONLY_TABLES if t in existing)
        statements = [
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            f"REVOKE ALL ON django_migrations FROM {role}",
            f"GRANT SELECT ON django_migrations TO {role}",
        ]
        if append_only:
            statements += [
                f"REVOKE ALL ON {append_only} FROM {role}",
                f"GRANT SELECT, INSERT ON {append_only} TO {role}",
            ]
        if heads:
            statements += [
                f"REVOKE ALL ON {heads} FROM {role}",
                f"GRANT SELECT, INSERT, UPDATE ON {heads} TO {role}",
            ]
        if read_only:
            statements += [
                f"REVOKE ALL ON {read_only} FROM {role}",
                f"GRANT SELECT ON {read_only} TO {role}",
            ]
        for statement in statements:
            cursor.execute(statement)
    return app_role


def grant_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """``post_migrate`` receiver: a migrate (or flush) run by the owner re-grants."""
    if using == OWNER_ALIAS:
        app_role_grant(using=using)


@contextmanager
def connected_as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """Within the block, this thread's ``alias`` connection works as the owner of the tables.

    Only for the default database and only when ``DATABASE_OWNER_URL`` names an owner;
    otherwise the connection as it is. The application's own connection is put back, and
    nothing shared between threads is changed, when the block ends.
    """
    original = connections[alias]
    if alias != DEFAULT_DB_ALIAS or OWNER_ALIAS not in connections:
        yield original
        return
    owner = connections.settings[OWNER_ALIAS]
    settings_dict = {**original.settings_dict, "USER": owner["USER"], "PASSWORD": owner["PASSWORD"]}
    as_owner = original.__class__(settings_dict, alias)
    connections[alias] = as_owner
    try:
        yield as_owner
    finally:
        as_owner.close()
        connections[alias] = original


@contextmanager
def audit_guards_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Lift the append-only triggers for one transaction: for the owner's flush, and on
    SQLite for retention's removal of a purged case's events (retention/events.py; on
    PostgreSQL that goes through the owner's function instead).

    On PostgreSQL only the owner of the tables may disable their triggers; on SQLite they are
    dropped and made again from their own definitions. Either way they are back, or never
    gone, when the transaction ends, whether it commits or not.
    """
    qn = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        tables = [t for t in GUARDED_TABLES if t in connection.introspection.table_names(cursor)]
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"ALTER TABLE {qn(table)} DISABLE TRIGGER USER")
            yield
            for table in tables:
                cursor.execute(f"ALTER TABLE {qn(table)} ENABLE TRIGGER USER")
        elif connection.vendor == "sqlite" and tables:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "  # noqa: S608  (placeholders only)
                f"WHERE type = 'trigger' AND tbl_name IN ({marks}) ORDER BY name",
                tables,
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f"DROP TRIGGER {qn(name)}")
            yield
            for _name, sql in triggers:
                cursor.execute(sql)
        else:
            yield
