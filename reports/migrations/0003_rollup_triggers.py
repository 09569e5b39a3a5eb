"""The rollups the trend reports read are kept by the database itself (decision 0023).

Row triggers on ``cases_case`` and ``workflows_clock``, on SQLite and PostgreSQL alike, add
each row's contribution to the rollups (``reports.models``) when it is inserted, take it away
when it is deleted, and on an update take the old row's away and add the new row's, netted
per key, so an update that changes no key (the purge cutting dates to their months, a saved
message) writes nothing. Whatever writes the rows (the services, the purge's set-based
statements, the benchmark's bulk inserts, a data migration, a hand-made ``UPDATE``) moves the
counts in the same transaction.

A clock is counted under its case's type and unit. Each side counts what the other cannot:
a clock's trigger counts it only while its case exists, and a case's trigger counts (or
uncounts) the clocks it has when it is inserted or deleted or changes type or unit. So the
counts are right whichever of the two rows is written first (foreign keys are checked at
commit). Each trigger writes its changes in key order, so two transactions take the rows'
locks in the same order.

On PostgreSQL the trigger functions belong to the owner of the tables and run as it
(``SECURITY DEFINER``): the application's role may only read the rollups (``cases/dbroles.py``)
and may not disable a trigger. Emptying ``cases_case`` (``TRUNCATE`` on PostgreSQL, the
deletion of its last row on SQLite, as a flush does) empties the rollups.

The migration then fills the rollups from the rows already there, with the same expressions.
The definitions are frozen here; ``reports.aggregates.rollup_expected`` states them again,
independently, as plain GROUP BYs, and the tests and ``manage.py report_rollups`` compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import migrations

# Columns whose change can move a count (an update of any other column fires nothing).
CASE_COLUMNS = (
    "id",
    "case_type_id",
    "org_unit_id",
    "category_id",
    "state",
    "received_on",
    "closed_on",
    "days_to_close",
    "reporter_named",
    "outcome",
    "reopened_by_checkin_on",
)
CLOCK_COLUMNS = (
    "case_id",
    "kind",
    "started_on",
    "due_on",
    "stopped_on",
    "days_taken",
    "met",
    "missed_recorded",
)
TABLES = (
    "reports_receivedrollup",
    "reports_namedrollup",
    "reports_spanrollup",
    "reports_daysrollup",
    "reports_clockrollup",
)


def month(vendor: str, value: str) -> str:
    if vendor == "postgresql":
        return f"CAST(date_trunc('month', {value}) AS date)"
    return f"date({value}, 'start of month')"


def days(vendor: str, first: str, last: str) -> str:
    if vendor == "postgresql":
        return f"({last} - {first})"
    return f"CAST(julianday({last}) - julianday({first}) AS INTEGER)"


def never(vendor: str) -> str:
    return "DATE '9999-12-01'" if vendor == "postgresql" else "'9999-12-01'"


@dataclass(frozen=True)
class Fact:
    """One rollup's key, as expressions over a row ``r`` (a case, or a clock whose case is
    ``c``), counted where ``where`` holds."""

    table: str
    columns: tuple[str, ...]
    source: str  # "case" or "clock"
    exprs: tuple[str, ...]
    where: str = "TRUE"


def facts(vendor: str) -> list[Fact]:
    m = lambda value: month(vendor, value)  # noqa: E731
    unit = "COALESCE({c}.org_unit_id, 0)"
    return [
        Fact(
            "reports_receivedrollup",
            ("case_type_id", "unit_id", "month", "category_id", "state"),
            "case",
            (
                "{r}.case_type_id",
                "COALESCE({r}.org_unit_id, 0)",
                m("{r}.received_on"),
                "COALESCE({r}.category_id, 0)",
                "{r}.state",
            ),
        ),
        Fact(
            "reports_namedrollup",
            ("case_type_id", "unit_id", "month", "named"),
            "case",
            (
                "{r}.case_type_id",
                "COALESCE({r}.org_unit_id, 0)",
                m("{r}.received_on"),
                "{r}.reporter_named",
            ),
        ),
        Fact(
            "reports_spanrollup",
            ("case_type_id", "unit_id", "received", "closed", "outcome", "reopened"),
            "case",
            (
                "{r}.case_type_id",
                "COALESCE({r}.org_unit_id, 0)",
                m("{r}.received_on"),
                f"COALESCE({m('{r}.closed_on')}, {never(vendor)})",
                "{r}.outcome",
                f"COALESCE({m('{r}.reopened_by_checkin_on')}, {never(vendor)})",
            ),
        ),
        Fact(
            "reports_daysrollup",
            ("case_type_id", "unit_id", "measure", "month", "days"),
            "case",
            (
                "{r}.case_type_id",
                "COALESCE({r}.org_unit_id, 0)",
                "'close'",
                m("{r}.closed_on"),
                f"COALESCE({{r}}.days_to_close, {days(vendor, '{r}.received_on', '{r}.closed_on')})",
            ),
            "{r}.closed_on IS NOT NULL",
        ),
        Fact(
            "reports_daysrollup",
            ("case_type_id", "unit_id", "measure", "month", "days"),
            "clock",
            (
                "{c}.case_type_id",
                unit,
                "'acknowledge'",
                m("{r}.stopped_on"),
                f"COALESCE({{r}}.days_taken, {days(vendor, '{r}.started_on', '{r}.stopped_on')})",
            ),
            "{r}.kind = 'acknowledge' AND {r}.stopped_on IS NOT NULL",
        ),
        Fact(
            "reports_clockrollup",
            ("case_type_id", "unit_id", "month", "kind", "met"),
            "clock",
            ("{c}.case_type_id", unit, m("{r}.due_on"), "{r}.kind", "({r}.met IS TRUE)"),
            "({r}.met IS NOT NULL OR {r}.missed_recorded)",
        ),
    ]


def _select(fact: Fact, sign: int, *, row: str, case: str = "", extra: str = "") -> str:
    """One side's contribution: ``row`` is OLD or NEW (or a table alias for the fill)."""
    names = {"r": row, "c": case}
    values = ", ".join(
        f"{e.format(**names)} AS {c}" for e, c in zip(fact.exprs, fact.columns, strict=True)
    )
    where = fact.where.format(**names)
    if extra:
        where = f"({where}) AND {extra}"
    return f"SELECT {values}, {sign} AS d", where


def _upsert(table: str, columns: tuple[str, ...], parts: list[str]) -> str:
    cols = ", ".join(columns)
    return (
        f"INSERT INTO {table} ({cols}, n) SELECT {cols}, SUM(d) FROM ("
        + " UNION ALL ".join(parts)
        + f") AS x GROUP BY {cols} HAVING SUM(d) <> 0 ORDER BY {cols} "
        f"ON CONFLICT ({cols}) DO UPDATE SET n = {table}.n + excluded.n"
    )


def _changed(vendor: str, columns: tuple[str, ...]) -> str:
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns)


def statements(vendor: str, source: str, op: str) -> list[str]:
    """The statements a trigger on ``source`` ("case" or "clock") runs for ``op``."""
    sides = {"INSERT": [("NEW", 1)], "DELETE": [("OLD", -1)], "UPDATE": [("OLD", -1), ("NEW", 1)]}[
        op
    ]
    moved = f"({_changed(vendor, ('id', 'case_type_id', 'org_unit_id'))})"
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for fact in facts(vendor):
        for row, sign in sides:
            if source == "case" and fact.source == "case":
                head, where = _select(fact, sign, row=row)
                part = f"{head} WHERE {where}"
            elif source == "case":
                # The case's clocks, under the case's type and unit as they were or are now;
                # only when they move (an update that keeps both nets to nothing anyway).
                head, where = _select(
                    fact, sign, row="k", case=row, extra=f"k.case_id = {row}.id"
                )
                if op == "UPDATE":
                    where = f"{where} AND {moved}"
                part = f"{head} FROM workflows_clock k WHERE {where}"
            elif fact.source == "clock":
                head, where = _select(fact, sign, row=row, case="c", extra=f"c.id = {row}.case_id")
                part = f"{head} FROM cases_case c WHERE {where}"
            else:
                continue
            grouped.setdefault((fact.table, fact.columns), []).append(part)
    return [_upsert(table, columns, parts) for (table, columns), parts in grouped.items()]


def fill(vendor: str) -> list[str]:
    """The rollups from the rows already there, with the triggers' own expressions."""
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for fact in facts(vendor):
        if fact.source == "case":
            head, where = _select(fact, 1, row="r")
            part = f"{head} FROM cases_case r WHERE {where}"
        else:
            head, where = _select(fact, 1, row="r", case="c", extra="c.id = r.case_id")
            part = f"{head} FROM workflows_clock r, cases_case c WHERE {where}"
        grouped.setdefault((fact.table, fact.columns), []).append(part)
    return [f"DELETE FROM {table}" for table in TABLES] + [
        _upsert(table, columns, parts) for (table, columns), parts in grouped.items()
    ]


def _pg_function(name: str, source: str) -> str:
    body = []
    for op in ("INSERT", "UPDATE", "DELETE"):
        keyword = "IF" if op == "INSERT" else "ELSIF"
        body.append(f"    {keyword} TG_OP = '{op}' THEN")
        body += [f"        {sql};" for sql in statements("postgresql", source, op)]
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger\n"
        "LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$\n"
        "BEGIN\n" + "\n".join(body) + "\n    END IF;\n    RETURN NULL;\nEND;\n$$"
    )


SOURCES = {"case": ("cases_case", CASE_COLUMNS), "clock": ("workflows_clock", CLOCK_COLUMNS)}


def pg_forward() -> list[str]:
    sql = []
    for source, (table, columns) in SOURCES.items():
        function = f"reports_rollup_{source}"
        sql.append(_pg_function(function, source))
        for op in ("INSERT", "UPDATE", "DELETE"):
            when = f" WHEN ({_changed('postgresql', columns)})" if op == "UPDATE" else ""
            sql.append(
                f"CREATE TRIGGER {function}_{op.lower()} AFTER {op} ON {table} FOR EACH ROW"
                f"{when} EXECUTE FUNCTION {function}()"
            )
    deletes = "; ".join(f"DELETE FROM {t}" for t in TABLES)
    clock_deletes = (
        "DELETE FROM reports_daysrollup WHERE measure = 'acknowledge'; "
        "DELETE FROM reports_clockrollup"
    )
    for source, statements_ in (("case", deletes), ("clock", clock_deletes)):
        table = SOURCES[source][0]
        sql += [
            f"CREATE OR REPLACE FUNCTION reports_rollup_{source}_emptied() RETURNS trigger\n"
            "LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$\n"
            f"BEGIN {statements_}; RETURN NULL; END;\n$$",
            f"CREATE TRIGGER reports_rollup_{source}_truncate AFTER TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_{source}_emptied()",
        ]
    return sql


def pg_backward() -> list[str]:
    sql = []
    for source, (table, _) in SOURCES.items():
        for op in ("insert", "update", "delete", "truncate"):
            sql.append(f"DROP TRIGGER IF EXISTS reports_rollup_{source}_{op} ON {table}")
        sql.append(f"DROP FUNCTION IF EXISTS reports_rollup_{source}()")
        sql.append(f"DROP FUNCTION IF EXISTS reports_rollup_{source}_emptied()")
    return sql


def sqlite_forward() -> list[str]:
    sql = []
    for source, (table, columns) in SOURCES.items():
        for op in ("INSERT", "UPDATE", "DELETE"):
            when = {
                "UPDATE": f" WHEN {_changed('sqlite', columns)}",
                # Once no case is left no count is either (the trigger below): a row deleted
                # after that, or the last case itself, takes nothing away (a flush deletes
                # the last case and the clocks in no set order, and SQLite fires a row's
                # triggers in no set order either).
                "DELETE": " WHEN EXISTS (SELECT 1 FROM cases_case)",
            }.get(op, "")
            body = "".join(f"    {s};\n" for s in statements("sqlite", source, op))
            sql.append(
                f"CREATE TRIGGER reports_rollup_{source}_{op.lower()} AFTER {op} ON {table}"
                f" FOR EACH ROW{when}\nBEGIN\n{body}END"
            )
    # A flush deletes every row of every table in no set order: once no case is left, no
    # count is either, whatever was deleted first.
    body = "".join(f"    DELETE FROM {t};\n" for t in TABLES)
    sql.append(
        "CREATE TRIGGER reports_rollup_case_emptied AFTER DELETE ON cases_case FOR EACH ROW"
        f" WHEN NOT EXISTS (SELECT 1 FROM cases_case)\nBEGIN\n{body}END"
    )
    return sql


def sqlite_backward() -> list[str]:
    names = [f"reports_rollup_{s}_{op}" for s in SOURCES for op in ("insert", "update", "delete")]
    return [f"DROP TRIGGER IF EXISTS {n}" for n in [*names, "reports_rollup_case_emptied"]]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        sql = pg_forward()
    elif vendor == "sqlite":
        sql = sqlite_forward()
    else:
        raise NotImplementedError(vendor)
    for statement in [*sql, *fill(vendor)]:
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = pg_backward() if vendor == "postgresql" else sqlite_backward()
    for statement in [*sql, *(f"DELETE FROM {t}" for t in TABLES)]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_rollups"),
        ("cases", "0013_stub_keeps_days"),
        ("workflows", "0006_stub_keeps_days"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
