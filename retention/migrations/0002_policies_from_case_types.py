"""Each case type's ``retention_days`` becomes its retention policy (the field then goes,
cases/0009). The reporter's token stops opening a case at the same time as its content goes,
as it effectively did before; administrators shorten it on the retention page."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    CaseType = apps.get_model("cases", "CaseType")
    RetentionPolicy = apps.get_model("retention", "RetentionPolicy")
    alias = schema_editor.connection.alias
    now = timezone.now()
    for case_type in CaseType.objects.using(alias):
        days = max(int(case_type.retention_days or 0), 1)  # a zero period is refused now
        RetentionPolicy.objects.using(alias).get_or_create(
            case_type=case_type,
            defaults={"content_days": days, "token_days": days, "changed_at": now},
        )


def backwards(apps, schema_editor):
    CaseType = apps.get_model("cases", "CaseType")
    RetentionPolicy = apps.get_model("retention", "RetentionPolicy")
    alias = schema_editor.connection.alias
    for policy in RetentionPolicy.objects.using(alias):
        CaseType.objects.using(alias).filter(pk=policy.case_type_id).update(retention_days=policy.content_days)


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_policies_holds_deletion_records")]
    operations = [migrations.RunPython(forwards, backwards)]
