"""Start-up check that the configured master keys can unwrap the stored data keys.

Tagged ``database`` so it runs on ``migrate`` and ``check --database default`` (which
``scripts/run`` and a deployment run before serving): a wrong or missing master key stops
start-up with a clear message before anything is written.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import connection
from django.db.utils import DatabaseError


@register(Tags.database)
def master_keys_unwrap_data_keys(**kwargs: Any) -> list[CheckMessage]:
    from cases.crypto import Keyring, data_key_unwrap
    from cases.exceptions import MasterKeyMismatch
    from cases.models import DataKey

    if DataKey._meta.db_table not in connection.introspection.table_names():
        return []
    keyring = Keyring.from_settings()
    errors: list[CheckMessage] = []
    try:
        key_ids = DataKey.objects.values_list("master_key_id", flat=True).distinct()
        for key_id in key_ids.order_by():
            sample = DataKey.objects.filter(master_key_id=key_id).first()
            if sample is None:
                continue
            try:
                data_key_unwrap(
                    case_id=sample.case_id,
                    key_id=key_id,
                    wrapped=bytes(sample.wrapped),
                    keyring=keyring,
                )
            except MasterKeyMismatch as exc:
                errors.append(Error(exc.message, id="cases.E001"))
    except DatabaseError:
        return []
    return errors
