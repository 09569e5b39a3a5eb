"""Retention may remove a purged case's audit events (decision 0021): each chain's head
remembers how far it was purged, and on PostgreSQL the DELETE trigger of ``cases_caseevent``
lets a row go only inside a purge that says so for its own transaction.

The setting ``speakup.case_events_purge`` is read by the trigger only. A role without the
DELETE privilege (the application's) is refused before any trigger runs, whatever it sets; the
owner gets past only by setting it on purpose, as it could by disabling the trigger. The
purge itself runs as the owner inside ``retention_case_events_purge`` (retention 0004), which
sets it for its one statement. UPDATE and TRUNCATE stay refused for everyone.
"""

from django.db import migrations, models

PG_TRIGGER_WITH_PURGE = """
CREATE OR REPLACE FUNCTION cases_caseevent_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('speakup.case_events_purge', true) IS NOT DISTINCT FROM 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER_AS_BEFORE = """
CREATE OR REPLACE FUNCTION cases_caseevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""


def _trigger(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_retention_policy_moves_out_stub_token")]

    operations = [
        migrations.AddField(
            model_name="audithead",
            name="purged_through",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="audithead",
            name="purged_mac",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.AddField(
            model_name="audithead",
            name="purged_seal",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RunPython(
            _trigger(PG_TRIGGER_WITH_PURGE), _trigger(PG_TRIGGER_AS_BEFORE), elidable=False
        ),
    ]
