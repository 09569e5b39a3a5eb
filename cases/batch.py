"""Helpers for work on many cases at once (the retention purge's batches).

Two things make a batch's statements slow on PostgreSQL, and neither is binding parameters
on the client (writing a list of 1,000 ids into a statement's text costs about 2 ms):

- **The plan.** ``id IN (SELECT unnest(array))`` is a join the planner sizes without knowing
  how many ids come, and with stale statistics (a table just filled or emptied) it reads a
  whole table into a hash to find 1,000 rows. ``id = ANY(array)`` is a condition on the
  column itself: an index scan, however the statistics stand. ``among`` writes that.
- **Making rows in Python.** ``bulk_create`` builds a model instance for each row and prepares
  every value through it; ``rows_insert`` prepares the values once per column and, on
  PostgreSQL, inserts them from one array per column (``INSERT ... SELECT FROM unnest``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import F
from django.db.models.lookups import Lookup

_SQLITE_PARAMETERS = 32_766  # SQLite's limit on parameters per statement


def _array_type(field: models.Field[Any, Any]) -> str:
    # Without its length (varchar, not varchar(64)): a cast must not cut a value short.
    return str(field.db_type(connection)).split("(")[0]


def ids_condition(
    column: str, field: models.Field[Any, Any], ids: Sequence[Any]
) -> tuple[str, list[Any]]:
    """``column = ANY(%s)`` with the ids as one array parameter (PostgreSQL), or
    ``column IN (%s, ...)`` (SQLite, in-process, which has no arrays); and its parameters.
    ``column`` is quoted SQL; ``field`` prepares the values."""
    values = [field.get_db_prep_value(value, connection) for value in ids]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{_array_type(field)}[])", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


class _Among(Lookup):
    """The ORM's form of ``ids_condition``: ``filter(among("case_id", ids))``."""

    lookup_name = "among"  # never registered: made by ``among`` only
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection_: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection_)
        field = self.lhs.output_field
        if getattr(field, "target_field", None) is not None:  # a key: its target's values
            field = field.target_field
        condition, params = ids_condition(lhs, field, self.rhs)
        return condition, [*lhs_params, *params]


def among(name: str, ids: Sequence[Any]) -> Any:
    """A filter for the rows whose ``name`` (a field or ``pk``) is one of ``ids``, as one
    array parameter on PostgreSQL (see the module's docstring)."""
    return _Among(F(name), list(ids))


def rows_insert(
    model: type[models.Model],
    columns: Mapping[str, Sequence[Any]],
    *,
    same: Mapping[str, Any] | None = None,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert one row per position of ``columns`` (attribute name -> a value per row; ``same``
    gives a value shared by every row, and a field given in neither takes its default) in one
    statement, without making model instances or sending a signal. Returns the ``returning``
    columns of the rows made, in no promised order. On PostgreSQL the values go as one array
    per column; on SQLite as one ``VALUES`` list."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    same = dict(same or {})
    count = len(next(iter(columns.values())))
    for name, field in fields.items():
        if name not in columns and name not in same and not field.db_returning:
            same[name] = field.get_default()
    names = [*columns, *same]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    targets = ", ".join(qn(str(fields[name].column)) for name in names)
    back = ", ".join(qn(str(fields[name].column)) for name in returning)
    back = f" RETURNING {back}" if back else ""
    prepared = {
        name: [fields[name].get_db_prep_save(value, connection) for value in values]
        for name, values in columns.items()
    }
    shared = {name: fields[name].get_db_prep_save(v, connection) for name, v in same.items()}
    made: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{_array_type(fields[name])}[]" for name in columns)
            constants = "".join(f", %s::{_array_type(fields[name])}" for name in same)
            cursor.execute(
                f"INSERT INTO {table} ({targets}) SELECT *{constants} FROM unnest({arrays})"  # noqa: S608 (names from the model)
                + back,
                [*shared.values(), *prepared.values()],  # in the order of the marks
            )
            return [tuple(row) for row in cursor.fetchall()] if returning else []
        # SQLite: as many rows per statement as its limit on parameters allows.
        per = max(1, _SQLITE_PARAMETERS // len(names))
        for start in range(0, count, per):
            rows = range(start, min(start + per, count))
            marks = ", ".join([f"({', '.join(['%s'] * len(names))})"] * len(rows))
            cursor.execute(
                f"INSERT INTO {table} ({targets}) VALUES {marks}{back}",  # noqa: S608
                [
                    value
                    for i in rows
                    for value in [*(prepared[name][i] for name in columns), *shared.values()]
                ],
            )
            if returning:
                made += [tuple(row) for row in cursor.fetchall()]
    return made
