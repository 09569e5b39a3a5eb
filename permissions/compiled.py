"""Reads compiled once and run again with each call's values: the gate's one-case reads
(``permissions/access.py``; decision 0036).

Django builds and compiles a queryset's SQL again every time it runs one; it keeps nothing
between calls. For the gate's read of one case (the rules' four subqueries, the joined type,
category and unit, the roles) that was some 5 to 8 ms of Python against 0.3 ms in the
database: more than a whole workflow step written in SQL. A ``CompiledRead`` builds its
queryset once per database and per key (say, the permission), with stand-in values where
each call's values go (the user, the case, the day), compiles it, and notes which of the
compiled parameters are the stand-ins; each call then runs that SQL with its own values in
those places, and builds the model instance from the row as Django's own iterator would.

Nothing here knows a rule. The queryset is built by the caller's function, the same one that
builds the ORM version, so the compiled SQL is the ORM's SQL, parameter for parameter. What
this module must get right is where each value goes, and it refuses to compile rather than
guess: every stand-in must be found among the parameters, prepared as the call's value will be
(``Slot``), none may be written into the SQL text itself, and no other parameter may hold one
in another form. A value is never put into the SQL text, only among the parameters, so a call's
values cannot change the statement.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from django.db import connections, router
from django.db.models import FETCH_ONE, Field, Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators


class Slot(NamedTuple):
    """Where a call's value goes: ``field`` prepares it as the read's lookups prepare it (a
    UUID is text on SQLite and a uuid on PostgreSQL, an id a typed integer on PostgreSQL);
    ``stand_in`` is a value of the same type that no call passes."""

    field: Field[Any, Any]
    stand_in: object


class NotCompiled(RuntimeError):
    """The read cannot be compiled safely: a stand-in is missing from its parameters, or
    written into its SQL, or hidden in another parameter."""


@dataclasses.dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per parameter: the name of the call's value that goes there, or None and the value
    # compiled in (a permission's codename, a state's name).
    params: tuple[tuple[str | None, Any], ...]
    select: tuple[Any, ...]  # the compiler's selected columns: (expression, SQL, alias)
    klass_info: dict[str, Any] | None  # which columns make which model (None: exists)
    annotations: dict[str, int]  # annotation name -> column
    # Per column that has any: its position and the backend's and field's converters, as
    # Django's results_iter asks for them (worked out once: some seventy a row otherwise).
    converters: tuple[tuple[int, tuple[Any, ...]], ...] = ()


class CompiledRead:
    """One read of ``model``, compiled once per database, key and form (first row, every
    row, or existence).

    ``build(key, **values)`` returns the queryset for one call's values; it is called with
    the ``slots``' stand-ins in their place, once per database and key, so the key must name
    everything else that changes the SQL (a permission, a rule that applies or not).
    ``for_write``: the read locks (the write database, as Django picks it for
    ``select_for_update``).
    """

    def __init__(
        self,
        model: type[Model],
        build: Callable[..., QuerySet[Any]],
        *,
        slots: dict[str, Slot],
        for_write: bool = False,
    ) -> None:
        self._model = model
        self._build = build
        self._slots = slots
        self._stand_ins = {name: slot.stand_in for name, slot in slots.items()}
        self._for_write = for_write
        self._compiled: dict[Hashable, _Compiled] = {}

    def first(self, key: Hashable, **values: object) -> Any:
        """The model instance ``build(key, **values).first()`` would return, or ``None``,
        with the same related objects and annotations."""
        compiled, alias, found = self._run("first", key, values)
        if not found or compiled.klass_info is None:
            return None
        return _instance(compiled, alias, found[0])

    def all(self, key: Hashable, **values: object) -> list[Any]:
        """The model instances ``list(build(key, **values))`` would give, in its order, with
        the same related objects and annotations."""
        compiled, alias, found = self._run("all", key, values)
        return [_instance(compiled, alias, row) for row in found]

    def exists(self, key: Hashable, **values: object) -> bool:
        """What ``build(key, **values).exists()`` would answer."""
        return bool(self._run("exists", key, values)[2])

    def clear(self) -> None:
        """Forget every compiled form (tests: compile again, in an order of their choosing)."""
        self._compiled.clear()

    def _run(
        self, form: str, key: Hashable, values: dict[str, object]
    ) -> tuple[_Compiled, str, list[tuple[Any, ...]]]:
        if values.keys() != self._slots.keys():
            raise TypeError(f"values {sorted(values)} for slots {sorted(self._slots)}")
        alias = (router.db_for_write if self._for_write else router.db_for_read)(self._model)
        connection = connections[alias]
        cache_key = (alias, connection.vendor, form, key)
        compiled = self._compiled.get(cache_key)
        if compiled is None:
            compiled = self._compiled.setdefault(cache_key, self._compile(form, key, alias))
        prepared = {}
        for name, value in values.items():
            field, stand_in = self._slots[name]
            if type(value) is not type(stand_in):  # a datetime is a date, but not prepared so
                kind, given = type(stand_in).__name__, type(value).__name__
                raise TypeError(f"{name} must be a {kind}, not {given}")
            prepared[name] = field.get_db_prep_value(value, connection)
        params = [prepared[name] if name else value for name, value in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall() if form == "all" else [cursor.fetchone()]
        return compiled, alias, [row for row in rows if row is not None]

    def _compile(self, form: str, key: Hashable, alias: str) -> _Compiled:
        connection = connections[alias]
        queryset = self._build(key, **self._stand_ins)
        if queryset.model is not self._model:
            raise NotCompiled(f"a read of {queryset.model.__name__}, not {self._model.__name__}")
        if queryset._iterable_class is not ModelIterable:  # values(), values_list()
            raise NotCompiled("a read of instances of the model, not of values")
        if form == "first":  # as QuerySet.first(): by the key unless ordered, the first row
            query = (queryset if queryset.ordered else queryset.order_by("pk"))[:1].query
        elif form == "all":  # as iterating over the queryset
            query = queryset.query
        else:  # as QuerySet.exists()
            query = queryset.query.exists()
        compiler = query.get_compiler(using=alias)
        sql, compiled_params = compiler.as_sql()
        # Each stand-in as the call's value will be prepared; and as text, in any form.
        stand_ins = {
            name: field.get_db_prep_value(stand_in, connection)
            for name, (field, stand_in) in self._slots.items()
        }
        texts = {name: _texts(value) for name, value in self._stand_ins.items()}
        params: list[tuple[str | None, Any]] = []
        for param in compiled_params:
            names = [n for n, v in stand_ins.items() if type(param) is type(v) and param == v]
            if names:
                params.append((names[0], None))
                continue
            hidden = [n for n, forms in texts.items() if any(t in str(param) for t in forms)]
            if hidden:
                raise NotCompiled(f"the stand-in for {hidden[0]} is in a parameter {param!r}")
            params.append((None, param))
        for name, forms in texts.items():
            if any(text in sql for text in forms):
                raise NotCompiled(f"the stand-in for {name} is written into the SQL")
            if (name, None) not in params:
                raise NotCompiled(f"the stand-in for {name} is not among the parameters")
        exists = form == "exists"
        select = () if exists else tuple(compiler.select)
        converters = []
        for pos, (expression, _sql, _alias) in enumerate(select):
            found = connection.ops.get_db_converters(expression)
            found += expression.get_db_converters(connection)
            if found:
                converters.append((pos, tuple(found)))
        return _Compiled(
            sql=sql,
            params=tuple(params),
            select=select,
            klass_info=None if exists else compiler.klass_info,
            annotations={} if exists else dict(compiler.annotation_col_map),
            converters=tuple(converters),
        )


def _instance(compiled: _Compiled, alias: str, found: tuple[Any, ...]) -> Any:
    """The model instance one row of ``compiled`` makes, as Django's iterator makes it."""
    connection = connections[alias]
    row = list(found)
    # As Django's results_iter: each column through its backend's and field's converters.
    for pos, converters in compiled.converters:
        expression = compiled.select[pos][0]
        for converter in converters:
            row[pos] = converter(row[pos], expression, connection)
    # As Django's ModelIterable: the model, its select_related objects, its annotations.
    info = compiled.klass_info
    assert info is not None  # noqa: S101 (a read of instances: the caller checked)
    fields = info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    names = [column[0].target.attname for column in compiled.select[start:end]]
    obj = info["model"].from_db(alias, names, row[start:end], fetch_mode=FETCH_ONE)
    for populator in get_related_populators(info, compiled.select, alias, FETCH_ONE):
        populator.populate(row, obj)
    for name, pos in compiled.annotations.items():
        setattr(obj, name, row[pos])
    return obj


def _texts(value: object) -> tuple[str, ...]:
    """Every way ``value`` may be written as text (a UUID with or without its dashes)."""
    return (str(value), value.hex) if isinstance(value, uuid.UUID) else (str(value),)
