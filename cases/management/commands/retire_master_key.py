"""Retire a master key epoch: re-wrap every live data key under the active key and check that
none still needs the old one. Then remove it from SPEAKUP_MASTER_KEYS and destroy every copy:
backups taken before can no longer decrypt any case shredded since (docs/operations.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.keys import MasterKeyStillInUse, master_key_retire


class Command(BaseCommand):
    help = "Re-wrap live data keys and check that a master key is no longer needed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id", help="The id of the master key to retire.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = master_key_retire(key_id=options["key_id"], batch_size=options["batch_size"])
        except MasterKeyStillInUse as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Re-wrapped {result.rewrapped} data keys; no data key needs {options['key_id']!r}.\n"
            "Next: run `manage.py rewrap_mfa_secrets`, remove the key from SPEAKUP_MASTER_KEYS, "
            "restart web and workers, and destroy every copy of the key."
        )
