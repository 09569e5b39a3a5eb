"""Database triggers that make audit events append-only.

UPDATE is refused on every database. DELETE is refused on PostgreSQL, the production
database; on SQLite it is refused by the model and its queryset only, because Django's test
flush on SQLite deletes rows with DELETE (PostgreSQL's flush uses TRUNCATE, which row
triggers do not see). See docs/decisions/0004-audit-record.md.
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION cases_caseevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_no_update BEFORE UPDATE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_refuse_change();
CREATE TRIGGER cases_caseevent_no_delete BEFORE DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_refuse_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS cases_caseevent_no_update ON cases_caseevent;
DROP TRIGGER IF EXISTS cases_caseevent_no_delete ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_caseevent_refuse_change();
"""
SQLITE_FORWARD = """
CREATE TRIGGER cases_caseevent_no_update BEFORE UPDATE ON cases_caseevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS cases_caseevent_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
