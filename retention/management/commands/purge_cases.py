"""Purge the cases whose retention period has passed, as the daily task does.

``--dry-run`` lists exactly the cases the next run would purge and when the next ones fall
due, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from retention.ancillary import ancillary_purge
from retention.purge import purge_due_cases
from retention.selectors import case_references, cases_due, cases_upcoming


class Command(BaseCommand):
    help = "Purge cases past their retention period. Resumable; safe to rerun or run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List; change nothing.")
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--limit", type=int, default=None, help="Purge at most this many.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            due = cases_due()
            references = case_references(due)
            self.stdout.write(f"{len(due)} case(s) would be purged now:")
            for case_id in due:
                self.stdout.write(f"  {references[case_id]} {case_id}")
            self.stdout.write("Next to fall due:")
            for row in cases_upcoming():
                held = " (on legal hold)" if row.held else ""
                self.stdout.write(f"  {row.reference} {row.due_on.isoformat()}{held}")
            return
        run = purge_due_cases(batch_size=options["batch_size"], limit=options["limit"])
        removed = ancillary_purge()
        self.stdout.write(f"Purged {len(run.purged)} case(s); {run.skipped} skipped.")
        for name, count in removed.items():
            self.stdout.write(f"Removed {count} stale {name}.")
