"""Confidential reporting (decision 0031): ``CaseType.reporting_levels`` and the sealed
``ReporterIdentity`` of a confidential reporter, with its history.

Every case type keeps what it offered: ``anonymous_named`` (the database default) where it
allowed named reports, ``anonymous`` where it did not. ``allows_named_reports`` is read by
nothing after this (kept, not editable: no migration here drops a column).

On SQLite the column is added with ``ALTER TABLE ... ADD COLUMN`` (as in 0015), not Django's
rebuild of the table: the same column and default, without copying the table.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import cases.models

LEVELS = [
    ("anonymous", "Anonymous only"),
    ("anonymous_named", "Anonymous or named"),
    ("anonymous_confidential", "Anonymous or confidential"),
    ("all", "Anonymous, confidential or named"),
]


def levels_field() -> models.CharField:
    return models.CharField(
        choices=LEVELS,
        db_default="anonymous_named",
        default="anonymous_named",
        help_text=(
            "Whether reporters may stay anonymous, give their name in confidence (seen only by "
            "the confidential contact) or give it openly."
        ),
        max_length=24,
    )


def add_column(apps, schema_editor):
    for name in ("CaseType", "HistoricalCaseType"):
        model = apps.get_model("cases", name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(
                f'ALTER TABLE {table} ADD COLUMN "reporting_levels" varchar(24) '
                "DEFAULT 'anonymous_named' NOT NULL"
            )
        else:
            field = levels_field()
            field.set_attributes_from_name("reporting_levels")
            field.model = model  # the state this runs in does not have the field yet
            schema_editor.add_field(model, field)


def drop_column(apps, schema_editor):
    for name in ("CaseType", "HistoricalCaseType"):
        model = apps.get_model("cases", name)
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "reporting_levels"')


def levels_from_named(apps, schema_editor):
    # A plain UPDATE of the rows and of their history alike: the column's first value says
    # what each version already offered, it is not a change of its own.
    for name in ("CaseType", "HistoricalCaseType"):
        model = apps.get_model("cases", name)
        # On the connection migrating (the owner's): the application's would wait for the
        # lock this transaction's ALTER TABLE holds, for ever.
        rows = model._default_manager.db_manager(schema_editor.connection.alias)
        rows.filter(allows_named_reports=False).update(
            reporting_levels="anonymous"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_welsh"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="casetype", name="reporting_levels", field=levels_field()
                ),
                migrations.AddField(
                    model_name="historicalcasetype", name="reporting_levels", field=levels_field()
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column, elidable=False)],
        ),
        migrations.RunPython(levels_from_named, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="casetype",
            name="allows_named_reports",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.AlterField(
            model_name="historicalcasetype",
            name="allows_named_reports",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.CreateModel(
            name="HistoricalReporterIdentity",
            fields=[
                ("identity", cases.models.SealedField()),
                ("consented_on", models.DateField(blank=True, null=True)),
                ("revealed_at", models.DateTimeField(blank=True, null=True)),
                ("reveal_reason", cases.models.SealedField(null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.case",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revealed_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical reporter identity",
                "verbose_name_plural": "historical reporter identities",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="ReporterIdentity",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="reporter_identity",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("identity", cases.models.SealedField()),
                ("consented_on", models.DateField(blank=True, null=True)),
                ("revealed_at", models.DateTimeField(blank=True, null=True)),
                ("reveal_reason", cases.models.SealedField(null=True)),
                (
                    "revealed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "reporter identities",
            },
        ),
    ]
