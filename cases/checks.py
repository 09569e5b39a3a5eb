"""Start-up checks: the configured master keys unwrap the stored data keys, and in production
the application's database role cannot rewrite the audit record.

Tagged ``database`` so they run on ``migrate`` and ``check --database default`` (which
``scripts/run`` and a deployment run before serving): a wrong or missing master key, or an
application connected as the owner of the audit tables, stops start-up with a clear message
before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.utils import DatabaseError


@register(Tags.database)
def master_keys_unwrap_data_keys(**kwargs: Any) -> list[CheckMessage]:
    from cases.crypto import Keyring, data_key_unwrap
    from cases.exceptions import MasterKeyMismatch
    from cases.models import DataKey

    if DataKey._meta.db_table not in connection.introspection.table_names():
        return []
    keyring = Keyring.from_settings()
    errors: list[CheckMessage] = []
    try:
        key_ids = DataKey.objects.values_list("master_key_id", flat=True).distinct()
        for key_id in key_ids.order_by():
            sample = DataKey.objects.filter(master_key_id=key_id).first()
            if sample is None:
                continue
            try:
                data_key_unwrap(
                    case_id=sample.case_id,
                    key_id=key_id,
                    wrapped=bytes(sample.wrapped),
                    keyring=keyring,
                )
            except MasterKeyMismatch as exc:
                errors.append(Error(exc.message, id="cases.E001"))
    except DatabaseError:
        return []
    return errors


@register(Tags.database)
def application_role_cannot_rewrite_audit(
    *, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """In production on PostgreSQL, the default connection's role must not own, update,
    delete or truncate the audit tables (docs/operations.md: connect as the application's
    role, migrate as the owner)."""
    from cases.dbroles import GUARDED_TABLES

    app = connections[DEFAULT_DB_ALIAS]
    if settings.DEV or DEFAULT_DB_ALIAS not in (databases or []) or app.vendor != "postgresql":
        return []
    with app.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.oid = ANY(%s::regclass[]) AND ("
            " pg_has_role(c.relowner, 'USAGE') OR has_table_privilege(c.oid, 'UPDATE')"
            " OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE')"
            ") ORDER BY c.relname",
            [[t for t in GUARDED_TABLES if t in app.introspection.table_names(cursor)]],
        )
        exposed = [name for (name,) in cursor.fetchall()]
    if not exposed:
        return []
    return [
        Error(
            f"The application's database role may change or remove audit rows "
            f"({', '.join(exposed)}): it owns them or holds UPDATE, DELETE or TRUNCATE.",
            hint="Connect DATABASE_URL as the application's role and migrate with "
            "DATABASE_OWNER_URL (manage.py migrate --database owner); see docs/operations.md.",
            id="cases.E002",
        )
    ]
