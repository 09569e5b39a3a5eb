"""A case's ``next_due`` (the earliest due day of its running clocks) is kept by the database
itself, as the rollups are (decision 0023), so that the case list sorts and filters by it
without a subquery per case (decision 0006, "The deadline column").

Row triggers on ``workflows_clock``, on SQLite and PostgreSQL alike, work the case's value out
again from its running clocks whenever a running clock is inserted or deleted, or a clock
that is or was running changes its case, due day, stop or pause. A trigger on ``cases_case``
does the same for a case inserted after its clocks (foreign keys are checked at commit, so a
bulk load may write the clocks first). Whatever writes the rows (the clock services, a
step's set of clocks, the benchmark's bulk inserts, a data migration, a hand-made
``UPDATE``) moves the column in the same transaction; the application never writes it.

The migration then fills the column from the clocks already there.
"""

from __future__ import annotations

from django.db import migrations

RUNNING = "{w}.stopped_on IS NULL AND {w}.paused_on IS NULL"
# Whether a clock row (NEW or OLD) is running.
ROW_RUNNING = "{r}.stopped_on IS NULL AND {r}.paused_on IS NULL"
# The columns whose change can move a case's next due day.
COLUMNS = ("case_id", "due_on", "stopped_on", "paused_on")


def earliest(case_id: str) -> str:
    """The earliest due day of the running clocks of case ``case_id`` (an SQL expression)."""
    running = RUNNING.format(w="w")
    return (
        f"(SELECT min(w.due_on) FROM workflows_clock w WHERE w.case_id = {case_id} AND {running})"
    )


def update_when(vendor: str) -> str:
    """An update that touches a clock that is or was running and changes one of ``COLUMNS``."""
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in COLUMNS)
    was, now = ROW_RUNNING.format(r="OLD"), ROW_RUNNING.format(r="NEW")
    return f"(({was}) OR ({now})) AND ({changed})"


def pg_forward() -> list[str]:
    refresh = (
        "        due := {earliest};\n"
        "        UPDATE cases_case SET next_due = due WHERE id = {case}"
        " AND next_due IS DISTINCT FROM due;\n"
    )
    old = refresh.format(earliest=earliest("OLD.case_id"), case="OLD.case_id")
    new = refresh.format(earliest=earliest("NEW.case_id"), case="NEW.case_id")
    return [
        "CREATE OR REPLACE FUNCTION workflows_case_next_due() RETURNS trigger\n"
        "LANGUAGE plpgsql SET search_path FROM CURRENT AS $$\n"
        "DECLARE due date;\n"
        "BEGIN\n"
        "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
        f"{old}"
        "    END IF;\n"
        "    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.case_id <> OLD.case_id) THEN\n"
        f"{new}"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END;\n$$",
        "CREATE TRIGGER workflows_case_next_due_insert AFTER INSERT ON workflows_clock"
        f" FOR EACH ROW WHEN ({ROW_RUNNING.format(r='NEW')})"
        " EXECUTE FUNCTION workflows_case_next_due()",
        "CREATE TRIGGER workflows_case_next_due_update AFTER UPDATE ON workflows_clock"
        f" FOR EACH ROW WHEN ({update_when('postgresql')})"
        " EXECUTE FUNCTION workflows_case_next_due()",
        "CREATE TRIGGER workflows_case_next_due_delete AFTER DELETE ON workflows_clock"
        f" FOR EACH ROW WHEN ({ROW_RUNNING.format(r='OLD')})"
        " EXECUTE FUNCTION workflows_case_next_due()",
        # A case written after its clocks.
        "CREATE OR REPLACE FUNCTION workflows_case_next_due_of_case() RETURNS trigger\n"
        "LANGUAGE plpgsql SET search_path FROM CURRENT AS $$\n"
        "DECLARE due date;\n"
        "BEGIN\n"
        f"    due := {earliest('NEW.id')};\n"
        "    IF due IS NOT NULL THEN\n"
        "        UPDATE cases_case SET next_due = due WHERE id = NEW.id;\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END;\n$$",
        "CREATE TRIGGER workflows_case_next_due_case_insert AFTER INSERT ON cases_case"
        " FOR EACH ROW WHEN (NEW.next_due IS NULL)"
        " EXECUTE FUNCTION workflows_case_next_due_of_case()",
    ]


def pg_backward() -> list[str]:
    return [
        *(
            f"DROP TRIGGER IF EXISTS workflows_case_next_due_{op} ON workflows_clock"
            for op in ("insert", "update", "delete")
        ),
        "DROP TRIGGER IF EXISTS workflows_case_next_due_case_insert ON cases_case",
        "DROP FUNCTION IF EXISTS workflows_case_next_due()",
        "DROP FUNCTION IF EXISTS workflows_case_next_due_of_case()",
    ]


def sqlite_forward() -> list[str]:
    def refresh(case: str) -> str:
        return f"    UPDATE cases_case SET next_due = {earliest(case)} WHERE id = {case};\n"

    moved = refresh("NEW.case_id").replace(
        "WHERE id = NEW.case_id;", "WHERE id = NEW.case_id AND NEW.case_id IS NOT OLD.case_id;"
    )
    return [
        "CREATE TRIGGER workflows_case_next_due_insert AFTER INSERT ON workflows_clock"
        f" FOR EACH ROW WHEN {ROW_RUNNING.format(r='NEW')}\n"
        f"BEGIN\n{refresh('NEW.case_id')}END",
        "CREATE TRIGGER workflows_case_next_due_update AFTER UPDATE ON workflows_clock"
        f" FOR EACH ROW WHEN {update_when('sqlite')}\n"
        f"BEGIN\n{refresh('OLD.case_id')}{moved}END",
        "CREATE TRIGGER workflows_case_next_due_delete AFTER DELETE ON workflows_clock"
        f" FOR EACH ROW WHEN {ROW_RUNNING.format(r='OLD')}\n"
        f"BEGIN\n{refresh('OLD.case_id')}END",
        # A case written after its clocks (no probe of the clocks for a case that has none).
        "CREATE TRIGGER workflows_case_next_due_case_insert AFTER INSERT ON cases_case"
        " FOR EACH ROW WHEN NEW.next_due IS NULL"
        " AND EXISTS (SELECT 1 FROM workflows_clock w WHERE w.case_id = NEW.id)\n"
        f"BEGIN\n{refresh('NEW.id')}END",
    ]


def sqlite_backward() -> list[str]:
    names = [f"workflows_case_next_due_{op}" for op in ("insert", "update", "delete")]
    return [f"DROP TRIGGER IF EXISTS {n}" for n in [*names, "workflows_case_next_due_case_insert"]]


def fill() -> str:
    running = RUNNING.format(w="r")
    return (
        f"UPDATE cases_case SET next_due = {earliest('cases_case.id')}"
        f" WHERE id IN (SELECT r.case_id FROM workflows_clock r WHERE {running})"
    )


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        sql = pg_forward()
    elif vendor == "sqlite":
        sql = sqlite_forward()
    else:
        raise NotImplementedError(vendor)
    for statement in [*sql, fill()]:
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = pg_backward() if vendor == "postgresql" else sqlite_backward()
    for statement in [*sql, "UPDATE cases_case SET next_due = NULL"]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0022_case_next_due"),
        ("workflows", "0006_stub_keeps_days"),
        # After the rollups' triggers: a case's update that moves no key fires none of theirs.
        ("reports", "0004_rollup_update_when_keys"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
