"""A purged case's audit events go after their own period (decision 0021): the deletion
record counts them, and on PostgreSQL the one way to remove them is a function owned by the
owner of the tables (``SECURITY DEFINER``), which the application's role may call but which
removes only the events of cases purged at least a year ago (whatever the caller asks), and
only those. The application's role still may not delete an audit row itself.
"""

from django.db import migrations, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION retention_case_events_purge(case_ids uuid[], purged_before timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    removed bigint;
BEGIN
    -- Lets the DELETE trigger of cases_caseevent (cases 0011) pass, for this statement only.
    PERFORM set_config('speakup.case_events_purge', 'on', true);
    DELETE FROM cases_caseevent e
     USING retention_deletionrecord d
     WHERE e.case_id = ANY(case_ids)
       AND d.case_id = e.case_id
       AND d.purged_at <= LEAST(purged_before, now() - interval '365 days');
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('speakup.case_events_purge', 'off', true);
    RETURN removed;
END;
$$
"""
PG_DROP = "DROP FUNCTION IF EXISTS retention_case_events_purge(uuid[], timestamptz)"


def _pg(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0003_hold_review_reminded"),
        ("cases", "0011_audit_purge"),
    ]

    operations = [
        migrations.AddField(
            model_name="deletionrecord",
            name="audit_events_purged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="deletionrecord",
            name="audit_events",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="deletionrecord",
            index=models.Index(
                condition=models.Q(audit_events_purged_at__isnull=True),
                fields=["purged_at"],
                name="deletionrecord_events_kept",
            ),
        ),
        migrations.RunPython(_pg(PG_FUNCTION), _pg(PG_DROP), elidable=False),
    ]
