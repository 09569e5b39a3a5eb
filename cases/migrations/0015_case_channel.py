"""How a report reached the organisation (decision 0026): ``Case.channel``, "web" for every
report made so far.

On SQLite the column is added with ``ALTER TABLE ... ADD COLUMN``, not Django's usual rebuild
of the table (copy into a new table, drop the old, rename the new): the rollup triggers of
``workflows_clock`` name ``cases_case`` (decision 0023), and SQLite refuses the rename while a
trigger names a table that is, for that moment, gone. A database made before this migration,
with its triggers, could not be brought up to date. The column and its default are the same as
the rebuild would make; PostgreSQL adds it the usual way.
"""

from django.db import migrations, models

CHOICES = [("web", "Online form"), ("phone", "Phone"), ("in_person", "In person"), ("post", "Post")]


def channel_field() -> models.CharField:
    return models.CharField(choices=CHOICES, db_default="web", default="web", max_length=16)


def forward(apps, schema_editor):
    for name in ("Case", "HistoricalCase"):
        model = apps.get_model("cases", name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN \"channel\" varchar(16) DEFAULT 'web' NOT NULL"
            )
        else:
            field = channel_field()
            field.set_attributes_from_name("channel")
            field.model = model  # the state this runs in does not have the field yet
            schema_editor.add_field(model, field)


def backward(apps, schema_editor):
    for name in ("Case", "HistoricalCase"):
        model = apps.get_model("cases", name)
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "channel"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_shared_item")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="case", name="channel", field=channel_field()),
                migrations.AddField(
                    model_name="historicalcase", name="channel", field=channel_field()
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
        )
    ]
