"""The suite on PostgreSQL connects as the application's role, as production does.

With ``DATABASE_OWNER_URL`` set (scripts/test's PostgreSQL pass), the owner makes and
migrates the test database, then the default connection switches to the application's role
for every test, and back to the owner at the end so that it can drop the database. The
flush between transactional tests runs on the owner's connection (cases' ``flush``).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from cases.dbroles import OWNER_ALIAS, app_role_grant

_APP: dict[str, str] = {}


def _two_roles() -> bool:
    return OWNER_ALIAS in connections


def _connect_default_as(user: str, password: str) -> None:
    connections[DEFAULT_DB_ALIAS].close()
    settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
    settings_dict["USER"], settings_dict["PASSWORD"] = user, password


def default_as_owner() -> None:
    """Before the test database is made (and again before it is dropped)."""
    if not _two_roles():
        return
    default = connections[DEFAULT_DB_ALIAS].settings_dict
    _APP.setdefault("USER", default["USER"])
    _APP.setdefault("PASSWORD", default["PASSWORD"])
    connections[OWNER_ALIAS].close()
    owner = connections[OWNER_ALIAS].settings_dict
    _connect_default_as(owner["USER"], owner["PASSWORD"])


def default_as_app() -> None:
    """Once the owner has made and migrated the test database: grant, then connect as the
    application's role."""
    if not _two_roles():
        return
    _connect_default_as(_APP["USER"], _APP["PASSWORD"])
    app_role_grant(using=OWNER_ALIAS)
