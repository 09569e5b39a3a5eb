"""Refused access attempts become an append-only, chained audit record like case events.

Existing refusals are linked in id order. Triggers refuse UPDATE, DELETE and TRUNCATE on
PostgreSQL, and UPDATE, DELETE and INSERT OR REPLACE on SQLite (made after the last remake
of the table, which would drop them). See docs/decisions/0015-audit-integrity.md.
"""

from django.db import migrations, models

PG_GUARDS = [
    """
    CREATE TRIGGER permissions_accessrefusal_no_update BEFORE UPDATE
        ON permissions_accessrefusal FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER permissions_accessrefusal_no_delete BEFORE DELETE
        ON permissions_accessrefusal FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER permissions_accessrefusal_no_truncate BEFORE TRUNCATE
        ON permissions_accessrefusal FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
]
PG_TRIGGERS = (
    "permissions_accessrefusal_no_update",
    "permissions_accessrefusal_no_delete",
    "permissions_accessrefusal_no_truncate",
)
SQLITE_GUARDS = [
    """
    CREATE TRIGGER permissions_accessrefusal_no_update BEFORE UPDATE ON permissions_accessrefusal
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are append-only (UPDATE refused)');
    END
    """,
    """
    CREATE TRIGGER permissions_accessrefusal_no_delete BEFORE DELETE ON permissions_accessrefusal
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are append-only (DELETE refused)');
    END
    """,
    # INSERT OR REPLACE deletes the row it collides with without firing DELETE triggers.
    """
    CREATE TRIGGER permissions_accessrefusal_no_replace BEFORE INSERT ON permissions_accessrefusal
    WHEN EXISTS (SELECT 1 FROM permissions_accessrefusal WHERE id = NEW.id)
      OR EXISTS (SELECT 1 FROM permissions_accessrefusal WHERE seq = NEW.seq)
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are append-only (INSERT OR REPLACE refused)');
    END
    """,
]
SQLITE_TRIGGERS = (
    "permissions_accessrefusal_no_update",
    "permissions_accessrefusal_no_delete",
    "permissions_accessrefusal_no_replace",
)


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def link_existing_refusals(apps, schema_editor):
    from cases.audit import REFUSAL_CHAIN, link_mac, refusal_body

    alias = schema_editor.connection.alias
    refusals = apps.get_model("permissions", "AccessRefusal").objects.using(alias)
    seq, mac = 0, ""
    rows = list(refusals.order_by("id").values_list("id", "actor_id", "case_id", "action", "at"))
    for pk, actor_id, case_id, action, at in rows:
        seq += 1
        body = refusal_body(actor_id=actor_id, case_id=case_id, action=action, at=at)
        mac = link_mac(chain=REFUSAL_CHAIN, seq=seq, prev=mac, body=body)
        refusals.filter(pk=pk).update(seq=seq, mac=mac)
    if seq:
        head_model = apps.get_model("cases", "AuditHead")
        head_model.objects.using(alias).create(chain=REFUSAL_CHAIN, seq=seq, mac=mac)


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_GUARDS)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_GUARDS)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        names = PG_TRIGGERS
        suffix = " ON permissions_accessrefusal"
    elif vendor == "sqlite":
        names, suffix = SQLITE_TRIGGERS, ""
    else:
        return
    _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}{suffix}" for name in names])


class Migration(migrations.Migration):
    dependencies = [
        ("permissions", "0003_role_changes"),
        ("cases", "0007_audit_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessrefusal",
            name="seq",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="accessrefusal",
            name="mac",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(link_existing_refusals, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="accessrefusal",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.RunPython(guard, unguard, elidable=False),
    ]
