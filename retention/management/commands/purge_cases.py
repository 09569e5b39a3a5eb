"""Purge the cases whose retention period has passed, as the daily task does.

``--dry-run`` lists exactly the cases the next run would purge, when the next ones fall due,
the purged cases whose audit events the run would remove and how many old links of the refusals'
and staff events' chains go, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from retention.ancillary import ancillary_purge
from retention.events import audit_chain_links_due, audit_chains_purge, audit_events_purge
from retention.purge import BATCH_SIZE, purge_due_cases
from retention.selectors import (
    audit_events_due,
    case_references,
    cases_due,
    cases_upcoming,
)


class Command(BaseCommand):
    help = "Purge cases past their retention period. Resumable; safe to rerun or run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List; change nothing.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
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
            stripped = audit_events_due()
            references = case_references(stripped)
            self.stdout.write(
                f"{len(stripped)} purged case(s) would lose their audit events "
                f"(kept {settings.SPEAKUP_AUDIT_RETENTION_DAYS} days after the purge):"
            )
            for case_id in stripped:
                self.stdout.write(f"  {references[case_id]} {case_id}")
            links = audit_chain_links_due()
            self.stdout.write(
                f"{links['refusals']} record(s) of refused access and {links['staff']} staff "
                "event(s) older than that would be removed."
            )
            return
        run = purge_due_cases(batch_size=options["batch_size"], limit=options["limit"])
        events = audit_events_purge()
        chains = audit_chains_purge()
        removed = ancillary_purge()
        self.stdout.write(f"Purged {run.purged} case(s) in {run.batches} batch(es).")
        self.stdout.write(
            f"Removed {events.events} audit event(s) of {events.cases} case(s) purged "
            f"{settings.SPEAKUP_AUDIT_RETENTION_DAYS} or more days ago."
        )
        self.stdout.write(
            f"Removed {chains.removed['refusals']} record(s) of refused access and "
            f"{chains.removed['staff']} staff event(s) older than "
            f"{settings.SPEAKUP_AUDIT_RETENTION_DAYS} days."
        )
        for name, count in removed.items():
            self.stdout.write(f"Removed {count} stale {name}.")
        if chains.broken:
            raise CommandError(
                "Kept the oldest links of a chain that does not verify (run audit_verify): "
                + "; ".join(f"{chain}: {problem}" for chain, problem in chains.broken.items())
            )
