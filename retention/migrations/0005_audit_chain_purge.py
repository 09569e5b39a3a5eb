"""The refusals' and staff events' chains lose their oldest links after the audit record's own
period, as a purged case's events do (decision 0021): on PostgreSQL through a function owned
by the owner of the tables (``SECURITY DEFINER``) that removes, from one of those two tables
only, the links up to a place that are also over a year old (whatever the caller asks). Their
DELETE triggers let a row go only while that function says so, for its own table and
statement. The application's role still may not delete an audit row itself; UPDATE and
TRUNCATE stay refused for everyone. On SQLite nothing changes here: the purge lifts the
triggers for its one statement (``cases.dbroles.audit_guards_lifted``).
"""

from django.db import migrations

TABLES = ("permissions_accessrefusal", "permissions_staffevent")

PG_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION audit_refuse_change_unless_purged() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           AND current_setting('speakup.audit_chain_purge', true)
               IS NOT DISTINCT FROM TG_TABLE_NAME::text THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit rows are append-only (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        statement
        for table in TABLES
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change_unless_purged()",
        )
    ),
    """
    CREATE OR REPLACE FUNCTION retention_audit_chain_purge(
        chain_table text, through bigint, older_than timestamptz
    ) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        removed bigint;
    BEGIN
        IF chain_table NOT IN ('permissions_accessrefusal', 'permissions_staffevent') THEN
            RAISE EXCEPTION 'not a chained audit table: %', chain_table;
        END IF;
        PERFORM set_config('speakup.audit_chain_purge', chain_table, true);
        EXECUTE format(
            'DELETE FROM %I WHERE seq <= $1 AND at < LEAST($2, now() - interval ''365 days'')',
            chain_table
        ) USING through, older_than;
        GET DIAGNOSTICS removed = ROW_COUNT;
        PERFORM set_config('speakup.audit_chain_purge', '', true);
        RETURN removed;
    END;
    $$
    """,
]
PG_BACKWARD = [
    "DROP FUNCTION IF EXISTS retention_audit_chain_purge(text, bigint, timestamptz)",
    *(
        statement
        for table in TABLES
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
        )
    ),
    "DROP FUNCTION IF EXISTS audit_refuse_change_unless_purged()",
]


def _pg(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0004_audit_events_purge"),
        ("permissions", "0005_staffevent_chain"),
    ]

    operations = [migrations.RunPython(_pg(PG_FORWARD), _pg(PG_BACKWARD), elidable=False)]
