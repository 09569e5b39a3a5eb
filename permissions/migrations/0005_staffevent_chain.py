"""Staff events (roles, teams, accounts) become a chained audit record like refusals.

Existing events are linked in id order. Then the append-only triggers are made again, all of
them, since adding the columns may remake the table on SQLite (which drops its triggers):
UPDATE and DELETE refused everywhere, TRUNCATE on PostgreSQL, INSERT OR REPLACE on SQLite.
See docs/decisions/0015-audit-integrity.md.
"""

from django.db import migrations, models

PG_GUARDS = [
    "DROP TRIGGER IF EXISTS permissions_staffevent_no_update ON permissions_staffevent",
    "DROP TRIGGER IF EXISTS permissions_staffevent_no_delete ON permissions_staffevent",
    "DROP TRIGGER IF EXISTS permissions_staffevent_no_truncate ON permissions_staffevent",
    """
    CREATE TRIGGER permissions_staffevent_no_update BEFORE UPDATE
        ON permissions_staffevent FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER permissions_staffevent_no_delete BEFORE DELETE
        ON permissions_staffevent FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER permissions_staffevent_no_truncate BEFORE TRUNCATE
        ON permissions_staffevent FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
]
SQLITE_GUARDS = [
    "DROP TRIGGER IF EXISTS permissions_staffevent_no_update",
    "DROP TRIGGER IF EXISTS permissions_staffevent_no_delete",
    "DROP TRIGGER IF EXISTS permissions_staffevent_no_replace",
    """
    CREATE TRIGGER permissions_staffevent_no_update BEFORE UPDATE ON permissions_staffevent
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are append-only (UPDATE refused)');
    END
    """,
    """
    CREATE TRIGGER permissions_staffevent_no_delete BEFORE DELETE ON permissions_staffevent
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are append-only (DELETE refused)');
    END
    """,
    # INSERT OR REPLACE deletes the row it collides with without firing DELETE triggers.
    """
    CREATE TRIGGER permissions_staffevent_no_replace BEFORE INSERT ON permissions_staffevent
    WHEN EXISTS (SELECT 1 FROM permissions_staffevent WHERE id = NEW.id)
      OR EXISTS (SELECT 1 FROM permissions_staffevent WHERE seq = NEW.seq)
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are append-only (INSERT OR REPLACE refused)');
    END
    """,
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def link_and_guard(apps, schema_editor):
    from cases.audit import link_mac
    from permissions.audit import STAFF_CHAIN, staff_event_body

    vendor = schema_editor.connection.vendor
    # The old triggers refuse the UPDATE that links each existing row: lift them first.
    if vendor == "postgresql":
        _run(schema_editor, PG_GUARDS[:3])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_GUARDS[:3])
    alias = schema_editor.connection.alias
    events = apps.get_model("permissions", "StaffEvent").objects.using(alias)
    seq, mac = 0, ""
    rows = events.order_by("id").values_list(
        "id", "code", "actor_id", "user_id", "change_id", "at", "payload"
    )
    for pk, code, actor_id, user_id, change_id, at, payload in list(rows):
        seq += 1
        body = staff_event_body(
            code=code,
            actor_id=actor_id,
            user_id=user_id,
            change_id=change_id,
            at=at,
            payload=payload,
        )
        mac = link_mac(chain=STAFF_CHAIN, seq=seq, prev=mac, body=body)
        events.filter(pk=pk).update(seq=seq, mac=mac)
    if seq:
        head_model = apps.get_model("cases", "AuditHead")
        head_model.objects.using(alias).create(chain=STAFF_CHAIN, seq=seq, mac=mac)
    if vendor == "postgresql":
        _run(schema_editor, PG_GUARDS[3:])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_GUARDS[3:])


def unguard(apps, schema_editor):
    """Back to migration 0003's guards, which use that migration's own trigger function."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_GUARDS[:3])
        _run(
            schema_editor,
            [
                """
                CREATE TRIGGER permissions_staffevent_no_update BEFORE UPDATE
                    ON permissions_staffevent FOR EACH ROW
                    EXECUTE FUNCTION permissions_staffevent_refuse_change()
                """,
                """
                CREATE TRIGGER permissions_staffevent_no_delete BEFORE DELETE
                    ON permissions_staffevent FOR EACH ROW
                    EXECUTE FUNCTION permissions_staffevent_refuse_change()
                """,
            ],
        )
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_GUARDS[:3])
        _run(
            schema_editor,
            [
                """
                CREATE TRIGGER permissions_staffevent_no_update BEFORE UPDATE
                    ON permissions_staffevent
                BEGIN
                    SELECT RAISE(ABORT, 'staff events are append-only (UPDATE refused)');
                END
                """
            ],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("permissions", "0004_accessrefusal_append_only"),
        ("cases", "0007_audit_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="staffevent",
            name="mac",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.AddField(
            model_name="staffevent",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, unique=True),
        ),
        migrations.RunPython(link_and_guard, unguard),
    ]
