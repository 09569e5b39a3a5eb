"""Retention periods live in retention.RetentionPolicy (the old column stays, unused);
a purged case's stub keeps no token digest."""

import secrets

from django.db import migrations, models


def refill_for_the_old_schema(apps, schema_editor):
    """Backwards only: the old schema has NOT NULL here. A case type's period comes back from
    its retention policy (or 0 where it has none); a purged stub gets a random digest that no
    token has."""
    alias = schema_editor.connection.alias
    policy_model = apps.get_model("retention", "RetentionPolicy")
    periods = dict(policy_model.objects.using(alias).values_list("case_type_id", "content_days"))
    for name in ("CaseType", "HistoricalCaseType"):
        model = apps.get_model("cases", name)
        for row in model.objects.using(alias).filter(retention_days__isnull=True):
            row.retention_days = periods.get(row.id, 0)
            row.save(update_fields=["retention_days"])
    case_model = apps.get_model("cases", "Case")
    for case in case_model._base_manager.using(alias).filter(token_digest__isnull=True):
        case.token_digest = secrets.token_bytes(32)
        case.save(update_fields=["token_digest"])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_checkin_after_closure'),
        # Each case type's period is copied into its retention policy first.
        ('retention', '0002_policies_from_case_types'),
    ]

    operations = [
        migrations.AlterField(
            model_name='case',
            name='token_digest',
            field=models.BinaryField(max_length=32, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='casetype',
            name='retention_days',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='historicalcasetype',
            name='retention_days',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        # Run first when going backwards, before the columns become NOT NULL again.
        migrations.RunPython(migrations.RunPython.noop, refill_for_the_old_schema),
]
