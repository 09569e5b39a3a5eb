"""Check the reports' rollups against plain GROUP BYs over the case rows, or rebuild them.

``manage.py report_rollups`` lists every count that differs and exits with status 1 if any
does (the triggers of reports migration 0003 keep them exact, so any is a fault to report);
``--rebuild`` writes them afresh as the owner of the tables, audited (decision 0023).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.rollups import rollup_differences
from reports.services import rollups_rebuild


class Command(BaseCommand):
    help = "Check the reports' counts against the cases (--rebuild: write them afresh)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Write them afresh.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            corrected = rollups_rebuild()
            self.stdout.write(f"Rebuilt the reports' counts; {corrected} were wrong.")
            return
        wrong = 0
        for table, differences in rollup_differences().items():
            for key, held, expected in differences:
                self.stdout.write(f"{table} {key}: holds {held}, the cases give {expected}")
            wrong += len(differences)
        if wrong:
            raise CommandError(f"{wrong} count(s) differ from the cases; see above.")
        self.stdout.write("The reports' counts agree with the cases.")
