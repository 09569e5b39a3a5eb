"""The rollups' update triggers fire only when a count can move (decision 0023).

Migration 0003 fired a row's update trigger whenever a column the counts read changed, even
where every key stayed the same: the retention purge cuts each stub's and clock's dates to their
months and keeps the days they measured, which changes the columns but no key, so the trigger ran
its statements for every purged row and netted them to nothing (about a tenth of a second per
thousand cases on PostgreSQL). The condition is now the rollups' own keys: the trigger fires when
any key expression of a fact of that table (the month of a date rather than the date, the days
measured rather than the dates they were measured from) or any fact's condition differs between
the old row and the new, or the row's own identity does. Expressions that read the case of a
clock are left out: a clock's update cannot change its case (its case moving is its
``case_id`` changing, which is compared).

The trigger bodies are not changed; only the condition on PostgreSQL's ``CREATE TRIGGER`` and
the ``WHEN`` of SQLite's update triggers (remade, as SQLite cannot alter a trigger).
"""

from __future__ import annotations

import importlib

from django.db import migrations

_0003 = importlib.import_module("reports.migrations.0003_rollup_triggers")

IDENTITY = {"case": ("id",), "clock": ("case_id",)}


def key_expressions(vendor: str, source: str) -> list[str]:
    """Every expression over a row ``{r}`` of ``source`` that a count depends on, once each."""
    found: list[str] = [f"{{r}}.{column}" for column in IDENTITY[source]]
    for fact in _0003.facts(vendor):
        if fact.source != source:
            continue
        for expr in (*fact.exprs, fact.where):
            if "{c}" in expr or expr == "TRUE" or expr in found:
                continue
            found.append(expr)
    return found


def keys_changed(vendor: str, source: str, old: str = "OLD", new: str = "NEW") -> str:
    """True where a count could move between row ``old`` and row ``new`` of ``source``."""
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return " OR ".join(
        f"({e.format(r=old)}) {op} ({e.format(r=new)})" for e in key_expressions(vendor, source)
    )


def _pg(when: str, source: str, table: str) -> list[str]:
    name = f"reports_rollup_{source}_update"
    return [
        f"DROP TRIGGER {name} ON {table}",
        f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW WHEN ({when})"
        f" EXECUTE FUNCTION reports_rollup_{source}()",
    ]


def _sqlite(when: str, source: str, table: str) -> list[str]:
    name = f"reports_rollup_{source}_update"
    body = "".join(f"    {s};\n" for s in _0003.statements("sqlite", source, "UPDATE"))
    return [
        f"DROP TRIGGER {name}",
        f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW WHEN {when}\nBEGIN\n{body}END",
    ]


def _remake(schema_editor, *, by_keys: bool) -> None:
    vendor = schema_editor.connection.vendor
    make = {"postgresql": _pg, "sqlite": _sqlite}.get(vendor)
    if make is None:
        raise NotImplementedError(vendor)
    for source, (table, columns) in _0003.SOURCES.items():
        when = keys_changed(vendor, source) if by_keys else _0003._changed(vendor, columns)
        for statement in make(when, source, table):
            schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _remake(schema_editor, by_keys=True)


def backward(apps, schema_editor):
    _remake(schema_editor, by_keys=False)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_rollup_triggers")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
