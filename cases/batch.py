"""Helpers for work on many cases at once (the retention purge's batches).

A query that names hundreds of rows by id costs the client more than the database: psycopg
reads every placeholder of a long ``IN (%s, %s, ...)`` list before sending it. On PostgreSQL
``ids_among`` names the rows with one array parameter instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL


def ids_among(ids: Sequence[Any], db_type: str = "uuid") -> Any:
    """The right-hand side of ``filter(<id>__in=...)`` for these ids: the list itself, or on
    PostgreSQL a subquery unnesting one array parameter of ``db_type``."""
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{db_type}[])", [list(ids)])  # noqa: S611 (a type name)
    return list(ids)
