"""Re-wrap every case data key under the active master key (SPEAKUP_ACTIVE_MASTER_KEY).

Rotation, step by step (docs/operations.md):
1. add the new key to SPEAKUP_MASTER_KEYS beside the old one and make it the active key;
2. run this command until it reports nothing remaining (it can be stopped and run again);
3. remove the old key from SPEAKUP_MASTER_KEYS.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.keys import data_keys_rewrap


class Command(BaseCommand):
    help = "Re-wrap case data keys under the active master key. Resumable; safe to rerun."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--max-batches", type=int, default=None, help="Stop after this many batches."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = data_keys_rewrap(
            batch_size=options["batch_size"], max_batches=options["max_batches"]
        )
        self.stdout.write(f"Re-wrapped {result.rewrapped} data keys; {result.remaining} remaining.")
