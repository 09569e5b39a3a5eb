"""Check every audit chain (each case's events, and the refused access attempts).

Names each problem found: a link changed or moved, links missing, inserted or out of order, a
chain whose newest links are gone. Records the result, which the health page shows, and
exits with status 1 when anything is wrong. Celery beat runs the same check every hour
(``cases.tasks.verify_audit_chains``). See docs/decisions/0015-audit-integrity.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cases.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit chains; exit status 1 if any was changed, cut or reordered."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        record = report.record
        for problem in report.problems:
            self.stderr.write(str(problem))
        summary = f"{record.chains} chains, {record.links} links"
        if report.problems:
            raise CommandError(f"Audit chains verified: {summary}, {record.problems} problems.")
        self.stdout.write(f"Audit chains verified: {summary}, no problems.")
