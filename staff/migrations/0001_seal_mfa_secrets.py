"""Seal the second-factor secrets that allauth stored in clear (staff/mfa.py)."""

from django.db import migrations


def seal(apps, schema_editor):
    from cases.crypto import Keyring
    from staff.mfa import data_reseal

    keyring = Keyring.from_settings()
    authenticators = apps.get_model("mfa", "Authenticator").objects
    for authenticator in authenticators.using(schema_editor.connection.alias):
        data = data_reseal(authenticator.data, keyring)
        if data is not None:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


def unseal(apps, schema_editor):
    from staff.mfa import SECRET_FIELDS, secret_key_id, secret_open

    authenticators = apps.get_model("mfa", "Authenticator").objects
    for authenticator in authenticators.using(schema_editor.connection.alias):
        data = dict(authenticator.data)
        for field in SECRET_FIELDS:
            if secret_key_id(data.get(field)):
                data[field] = secret_open(data[field])
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [("mfa", "0003_authenticator_type_uniq")]
    operations = [migrations.RunPython(seal, unseal, elidable=False)]
