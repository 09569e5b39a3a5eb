"""Re-seal clock and exclusion reasons so each is bound to its own row, not only its case.

Reasons were sealed with the case's row id as associated data; they are now sealed with the
clock's (or exclusion's) own id, like every other sealed field. Each value is opened with the
old binding and sealed again with the new one, history rows included. A value that does not
open with the old binding (already re-sealed, or its case shredded) is left as it is, so the
migration can run twice. Uses the historical models and the crypto primitives only.
"""

from django.db import migrations

from cases.crypto import CaseCipher, Keyring, data_key_unwrap
from cases.exceptions import CaseDataUnreadable, MasterKeyMismatch

SOURCES = (
    # (app, model holding the value, label bound in the associated data)
    ("workflows", "Clock", "workflows.clock"),
    ("workflows", "HistoricalClock", "workflows.clock"),
    ("permissions", "CaseExclusion", "permissions.caseexclusion"),
)


def reseal(apps, schema_editor):
    alias = schema_editor.connection.alias
    DataKey = apps.get_model("cases", "DataKey")
    ciphers: dict = {}

    def cipher_of(case_id):
        if case_id not in ciphers:
            row = DataKey.objects.using(alias).filter(case_id=case_id).values_list("master_key_id", "wrapped")
            found = row.first()
            if found is None:
                ciphers[case_id] = None
            else:
                data_key = data_key_unwrap(
                    case_id=case_id,
                    key_id=found[0],
                    wrapped=bytes(found[1]),
                    keyring=Keyring.from_settings(),
                )
                ciphers[case_id] = CaseCipher(case_id=case_id, data_key=data_key)
        return ciphers[case_id]

    for app, model_name, label in SOURCES:
        model = apps.get_model(app, model_name)
        pk_name = "history_id" if model_name.startswith("Historical") else "pk"
        rows = model._base_manager.using(alias).exclude(reason=None).values_list(
            pk_name, "id", "case_id", "reason"
        )
        for key, row_id, case_id, sealed in rows.iterator():
            try:
                cipher = cipher_of(case_id)
            except MasterKeyMismatch:
                continue
            if cipher is None:
                continue
            try:
                text = cipher.open(bytes(sealed), model_label=label, field="reason", row_id=case_id)
            except CaseDataUnreadable:
                continue
            resealed = cipher.seal(text, model_label=label, field="reason", row_id=row_id)
            model._base_manager.using(alias).filter(**{pk_name: key}).update(reason=resealed)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_casetype_stage_limits_and_more"),
        ("permissions", "0002_caseuserpermission_expires_on_accessrefusal_and_more"),
        ("workflows", "0002_clocks"),
    ]

    operations = [migrations.RunPython(reseal, migrations.RunPython.noop)]
