"""Retention periods live in retention.RetentionPolicy (the old column stays, unused);
a purged case's stub keeps no token digest."""

from django.db import migrations, models


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
    ]
