"""Cheaper audit writes, which every recorded event pays (decision 0039).

- The events' plain index on ``case_id`` goes: the index on ``(case_id, id)`` that reads a
  case's events in order, and the unique ``(case_id, seq)``, both begin with the column, so
  every lookup and the foreign key's check use those; the plain one only cost a write per
  event. Dropped by name, not by ``AlterField``: on SQLite that remakes the table, and with
  it the triggers that keep events append-only.
- On PostgreSQL, the chain heads' pages are filled to 70% (``fillfactor``), so that moving
  a head (two unindexed columns, ``seq`` and ``mac``) is a heap-only update in the same page
  instead of a new row version and two index entries: every event moves one head, and the
  retention purge moves thousands at once. Pages written from now on keep the room.
"""

from django.db import migrations, models

INDEX = "cases_caseevent_case_id_6c6031ac"  # Django's name for the key's own index


def _heads_fillfactor(value: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE cases_audithead SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("cases", "0022_case_next_due")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="caseevent",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="events",
                        to="cases.case",
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX "{INDEX}" ON "cases_caseevent" ("case_id")',
                )
            ],
        ),
        migrations.RunPython(_heads_fillfactor(70), _heads_fillfactor(100)),
    ]
