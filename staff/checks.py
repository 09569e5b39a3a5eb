"""Start-up check that every second-factor secret is sealed under a configured master key.

Tagged ``database`` like the case-key check (``cases/checks.py``): a secret stored in clear
(written around the MFA adapter) or sealed under a key that is no longer configured stops
``migrate`` and ``check --database default`` with a clear message.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import connection
from django.db.utils import DatabaseError


@register(Tags.database)
def mfa_secrets_sealed(**kwargs: Any) -> list[CheckMessage]:
    from allauth.mfa.models import Authenticator
    from django.conf import settings

    from staff.mfa import SECRET_FIELDS, secret_key_id

    if Authenticator._meta.db_table not in connection.introspection.table_names():
        return []
    clear, unknown = 0, set()
    try:
        for data in Authenticator.objects.values_list("data", flat=True).iterator():
            for field in SECRET_FIELDS:
                if field not in data:
                    continue
                key_id = secret_key_id(data[field])
                if key_id is None:
                    clear += 1
                elif key_id not in settings.SPEAKUP_MASTER_KEYS:
                    unknown.add(key_id)
    except DatabaseError:
        return []
    errors: list[CheckMessage] = []
    if clear:
        errors.append(
            Error(
                f"{clear} second-factor secret(s) are stored in clear.",
                hint="Run `manage.py rewrap_mfa_secrets` to seal them.",
                id="staff.E001",
            )
        )
    if unknown:
        errors.append(
            Error(
                f"Second-factor secrets are sealed under master key(s) {sorted(unknown)} "
                "that are not in SPEAKUP_MASTER_KEYS.",
                hint="Add the key back, run `manage.py rewrap_mfa_secrets`, then remove it.",
                id="staff.E002",
            )
        )
    return errors
