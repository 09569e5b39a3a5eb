"""Audit chains for case events, their heads and verification results; closing SQLite's
INSERT OR REPLACE and DELETE, and TRUNCATE on PostgreSQL.

Existing events are linked in id order (their chain attests to them as of this migration).
On SQLite, remaking the table (which Django does to add a NOT NULL column) drops its
triggers, so every trigger of the table is made again at the end; a later migration that
remakes this table must do the same (tests/cases/test_audit_integrity.py would notice).
See docs/decisions/0015-audit-integrity.md.
"""

from itertools import groupby
from operator import itemgetter

from django.db import migrations, models

PG_GUARDS = [
    """
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit rows are append-only (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER cases_caseevent_no_truncate BEFORE TRUNCATE ON cases_caseevent
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
]
PG_UNGUARDS = [
    "DROP TRIGGER IF EXISTS cases_caseevent_no_truncate ON cases_caseevent",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

SQLITE_GUARDS = [
    """
    CREATE TRIGGER cases_caseevent_no_update BEFORE UPDATE ON cases_caseevent
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)');
    END
    """,
    """
    CREATE TRIGGER cases_caseevent_no_delete BEFORE DELETE ON cases_caseevent
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)');
    END
    """,
    # INSERT OR REPLACE (and REPLACE INTO) deletes the row it collides with, without firing
    # DELETE triggers: refuse any insert that would collide with an existing event.
    """
    CREATE TRIGGER cases_caseevent_no_replace BEFORE INSERT ON cases_caseevent
    WHEN EXISTS (SELECT 1 FROM cases_caseevent WHERE id = NEW.id)
      OR EXISTS (SELECT 1 FROM cases_caseevent WHERE case_id = NEW.case_id AND seq = NEW.seq)
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only (INSERT OR REPLACE refused)');
    END
    """,
]
SQLITE_TRIGGERS = (
    "cases_caseevent_no_update",
    "cases_caseevent_no_delete",
    "cases_caseevent_no_replace",
)


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def link_existing_events(apps, schema_editor):
    from cases.audit import case_chain, event_body, link_mac

    connection = schema_editor.connection
    alias = connection.alias
    event_model = apps.get_model("cases", "CaseEvent")
    head_model = apps.get_model("cases", "AuditHead")
    if connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER USER")
    elif connection.vendor == "sqlite":
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS])
    events = event_model.objects.using(alias).order_by("case_id", "id")
    rows = list(events.values_list("case_id", "id", "code", "actor_id", "at", "payload"))
    for case_id, group in groupby(rows, key=itemgetter(0)):
        chain, seq, mac = case_chain(case_id), 0, ""
        for _, pk, code, actor_id, at, payload in group:
            seq += 1
            body = event_body(code=code, actor_id=actor_id, at=at, payload=payload)
            mac = link_mac(chain=chain, seq=seq, prev=mac, body=body)
            events.filter(pk=pk).update(seq=seq, mac=mac)
        head_model.objects.using(alias).create(chain=chain, seq=seq, mac=mac)
    if connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER USER")


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_GUARDS)
    elif vendor == "sqlite":
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS])
        _run(schema_editor, SQLITE_GUARDS)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_UNGUARDS)
    elif vendor == "sqlite":
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS])
        _run(schema_editor, SQLITE_GUARDS[:1])  # as migration 0002 left it


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_casetype_stage_limits_and_more")]

    operations = [
        # Reversed last: the table remakes of the reversal drop triggers, so 0002's is made
        # again at the very end.
        migrations.RunPython(migrations.RunPython.noop, unguard, elidable=False),
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("chain", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("mac", models.CharField(default="", max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
                ("ok", models.BooleanField()),
                ("chains", models.PositiveIntegerField()),
                ("links", models.PositiveBigIntegerField()),
                ("problems", models.PositiveIntegerField()),
                ("summary", models.CharField(blank=True, max_length=200)),
                ("mac", models.CharField(max_length=64)),
            ],
            options={"ordering": ("-at", "-id")},
        ),
        migrations.AddField(
            model_name="caseevent",
            name="seq",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="mac",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(link_existing_events, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="caseevent",
            name="seq",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="caseevent",
            constraint=models.UniqueConstraint(
                fields=("case", "seq"), name="caseevent_one_event_per_seq"
            ),
        ),
        migrations.RunPython(guard, unguard, elidable=False),
    ]
