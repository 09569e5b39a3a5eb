"""Helpers for work on many cases at once (the retention purge's batches).

Two things make a batch's statements slow on PostgreSQL:

- **The plan.** ``id IN (SELECT unnest(array))`` is a join the planner sizes without knowing
  how many ids come, and with stale statistics (a table just filled or emptied) it reads a
  whole table into a hash to find 1,000 rows. ``id = ANY(array)`` is a condition on the
  column itself: an index scan, however the statistics stand. ``among`` writes that.
- **Making rows in Python.** ``bulk_create`` builds a model instance for each row and prepares
  every value through it; ``rows_insert`` prepares the values once per column and, on
  PostgreSQL, inserts them from one array per column (``INSERT ... SELECT FROM unnest``).

And a third costs Python time: Django binds parameters on the client, and psycopg writes a
list into the statement's text element by element (about 2 ms for 1,000 ids, 3 ms for
1,000 links of the audit chain; a purge batch sends some thirty such lists). ``pg_array``
writes the array's literal in one pass instead, which psycopg then quotes as one string.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import DatabaseError, connection, connections, models
from django.db.models import F, Value
from django.db.models.expressions import DatabaseDefault
from django.db.models.lookups import Lookup
from psycopg.types.json import Json, Jsonb

_SQLITE_PARAMETERS = 32_766  # SQLite's limit on parameters per statement


def _array_type(field: models.Field[Any, Any]) -> str:
    # Without its length (varchar, not varchar(64)): a cast must not cut a value short.
    return _array_types(field, connection.alias)


@functools.cache
def _array_types(field: models.Field[Any, Any], alias: str) -> str:
    """``_array_type``, worked out once per field and database: ``db_type`` fills a template
    from the field's attributes each time, about a tenth of a transition's client time when
    asked for every column of its three history rows (B4, docs/performance.md)."""
    return str(field.db_type(connections[alias])).split("(")[0]


_SPECIAL = re.compile(r'["\\]')  # what an element in double quotes must escape


def _element(value: Any) -> str:
    """One element of an array literal: ``NULL``, or the value's text in double quotes with
    backslashes and quotes escaped (so no value can end the element or the array early)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, int | str | uuid.UUID):
        text = str(value)
    elif isinstance(value, dt.date):  # datetime too: isoformat keeps its offset
        text = value.isoformat()
    elif isinstance(value, bytes | bytearray | memoryview):
        text = "\\x" + bytes(value).hex()
    elif isinstance(value, Json | Jsonb):
        dumped = (value.dumps or json.dumps)(value.obj)
        text = dumped.decode() if isinstance(dumped, bytes) else dumped
    else:
        raise TypeError(f"No array literal for {type(value).__name__}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pg_array(values: Sequence[Any]) -> Any:
    """PostgreSQL's literal for an array of these prepared values (``'{"a","b"}'``), to be
    cast to its type in the statement (``%s::uuid[]``); the list itself, for psycopg to
    write, if a value is of a type this does not know."""
    kinds = {type(value) for value in values}
    if kinds <= {uuid.UUID, int}:  # ids and counts: nothing to quote (bool is not int here)
        return "{" + ",".join(map(str, values)) + "}"
    if kinds == {str} and not _SPECIAL.search("".join(values)):
        return '{"' + '","'.join(values) + '"}'
    try:
        return "{" + ",".join(_element(value) for value in values) + "}"
    except TypeError:
        return list(values)


def ids_condition(
    column: str, field: models.Field[Any, Any], ids: Sequence[Any]
) -> tuple[str, list[Any]]:
    """``column = ANY(%s)`` with the ids as one array parameter (PostgreSQL), or
    ``column IN (%s, ...)`` (SQLite, in-process, which has no arrays); and its parameters.
    ``column`` is quoted SQL; ``field`` prepares the values."""
    db = connections[connection.alias]  # not the proxy: it is asked once per value
    values = [field.get_db_prep_value(value, db) for value in ids]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{_array_type(field)}[])", [pg_array(values)]
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


@dataclasses.dataclass(frozen=True)
class _InsertShape:
    fields: dict[str, models.Field[Any, Any]]  # attribute name -> field
    defaulted: tuple[models.Field[Any, Any], ...]  # given neither way: their defaults
    table: str
    targets: str  # the quoted columns, given, then shared, then defaulted
    back: str  # `` RETURNING ...`` or nothing


@functools.cache
def _insert_shape(
    model: type[models.Model],
    given: tuple[str, ...],
    shared: tuple[str, ...],
    returning: tuple[str, ...],
    alias: str,
) -> _InsertShape:
    """What ``rows_insert`` writes for these names, worked out once per model, names and
    database (a workflow step inserts three such rows, each column's name quoted each time
    before: about a tenth of a step's client time on SQLite, B4)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    defaulted = tuple(
        field
        for name, field in fields.items()
        if name not in given and name not in shared and not field.db_returning
    )
    names = [*given, *shared, *(field.attname for field in defaulted)]
    qn = connections[alias].ops.quote_name
    back = ", ".join(qn(str(fields[name].column)) for name in returning)
    return _InsertShape(
        fields=fields,
        defaulted=defaulted,
        table=qn(model._meta.db_table),
        targets=", ".join(qn(str(fields[name].column)) for name in names),
        back=f" RETURNING {back}" if back else "",
    )


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
    same = dict(same or {})
    count = len(next(iter(columns.values())))
    shape = _insert_shape(model, tuple(columns), tuple(same), tuple(returning), connection.alias)
    fields, table, targets, back = shape.fields, shape.table, shape.targets, shape.back
    for field in shape.defaulted:
        same[field.attname] = field.get_default()
    names = [*columns, *same]
    db = connections[connection.alias]  # not the proxy: it is asked once per value
    prepared = {
        name: [fields[name].get_db_prep_save(value, db) for value in values]
        for name, values in columns.items()
    }
    shared = {name: fields[name].get_db_prep_save(v, db) for name, v in same.items()}
    made: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{_array_type(fields[name])}[]" for name in columns)
            constants = "".join(f", %s::{_array_type(fields[name])}" for name in same)
            cursor.execute(
                f"INSERT INTO {table} ({targets}) SELECT *{constants} FROM unnest({arrays})"  # noqa: S608 (names from the model)
                + back,
                # In the order of the marks.
                [*shared.values(), *(pg_array(values) for values in prepared.values())],
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


@functools.cache
def _update_statement(
    model: type[models.Model], names: tuple[str, ...], alias: str
) -> tuple[str, tuple[models.Field[Any, Any], ...]]:
    """``UPDATE table SET column = %s, ... WHERE key = %s`` for these fields of ``model``,
    written once per model, fields and database; and the fields, in the order of the marks."""
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    for field in fields:
        if not field.concrete or field.primary_key or field.many_to_many:
            raise ValueError(f"{model.__name__}.{field.name} is not a column to update.")
    qn = connections[alias].ops.quote_name
    sets = ", ".join(f"{qn(str(field.column))} = %s" for field in fields)  # type: ignore[union-attr]
    key = qn(str(meta.pk.column))
    sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {key} = %s"  # noqa: S608 (names from the model)
    return sql, fields  # type: ignore[return-value]


def row_update(obj: models.Model, names: Sequence[str]) -> None:
    """Write ``names`` of the row ``obj`` stands for, as ``obj.save(update_fields=names)``
    does: each field's ``pre_save`` (``auto_now``), its value prepared for the database, and
    ``DatabaseError`` if the row is gone. What it does not do is send ``pre_save`` and
    ``post_save``: it is for the saves of a change whose models no receiver watches
    (``cases.history.history_save``; a test fails if one is connected). The statement is
    written once (``_update_statement``), so a save costs the statement and its values:
    Django builds, compiles and runs an ``UpdateQuery`` each time (a workflow step's two
    were about a sixth of its CPU on SQLite, docs/performance.md, B4)."""
    model = type(obj)._meta.concrete_model
    assert model is not None  # noqa: S101 (a model class always has one)
    sql, fields = _update_statement(model, tuple(names), connection.alias)
    db = connections[connection.alias]  # not the proxy: it is asked once per value
    values = [field.get_db_prep_save(field.pre_save(obj, False), db) for field in fields]
    key = model._meta.pk.get_db_prep_value(obj.pk, db)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, key])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def _value_to_insert(field: models.Field[Any, Any], obj: models.Model) -> Any:
    """The value Django's insert sends for ``field`` of ``obj``: its ``pre_save``, or, where
    that is the database's default (a field with ``db_default`` and no value), that default's
    constant, which is what the database would write."""
    value = field.pre_save(obj, True)
    if isinstance(value, DatabaseDefault):
        default = field.db_default  # a constant, or an expression (Value() is a constant)
        if isinstance(default, Value):
            return default.value
        if hasattr(default, "resolve_expression"):
            raise ValueError(f"{field.name}'s database default is not a constant.")
        return default
    return value


def row_insert(obj: models.Model) -> None:
    """Insert the new row ``obj`` stands for, as ``obj.save(force_insert=True)`` does: each
    field's ``pre_save`` (``auto_now_add``), its value prepared for the database, an automatic
    key set on ``obj`` as the database gives it (a key of the object's own, a UUID, is sent
    with the rest), and ``obj`` then marked saved. One row of ``rows_insert``, whose columns
    are worked out once per model; like ``row_update`` it sends no ``pre_save`` or
    ``post_save``."""
    model = type(obj)._meta.concrete_model
    assert model is not None  # noqa: S101 (a model class always has one)
    if not obj._state.adding or (model._meta.auto_field is not None and obj.pk is not None):
        raise ValueError("row_insert makes a new row, its key the database's or its own.")
    meta = model._meta
    given = [field for field in meta.concrete_fields if field is not meta.auto_field]
    back = meta.db_returning_fields  # an automatic key, and fields with a database default
    made = rows_insert(
        model,
        {field.attname: [_value_to_insert(field, obj)] for field in given},
        returning=[field.attname for field in back],
    )
    returned = made[0] if back else ()
    db = connections[connection.alias]
    for field, value in zip(back, returned, strict=True):
        column = field.get_col(model._meta.db_table)  # as Django's insert converts it
        for converter in db.ops.get_db_converters(column) + column.get_db_converters(db):
            value = converter(value, column, db)
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = connection.alias
