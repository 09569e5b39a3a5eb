"""Bring the Welsh catalogue up to date with the reporter side's strings, and compile it.

    python manage.py reporter_messages

New strings are added untranslated (the catalogue test fails until they are translated);
strings no longer used are dropped; translations are kept. Then ``compilemessages`` (GNU
gettext's ``msgfmt``) makes the ``.mo`` file that is committed beside it
(docs/decisions/0025-welsh.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from intake.messages import PO_PATH, update_po


class Command(BaseCommand):
    help = (
        "Update locale/cy/LC_MESSAGES/django.po from the reporter side's sources, and compile it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-compile", action="store_true", help="Update the .po file only.")

    def handle(self, *args: Any, **options: Any) -> None:
        added, dropped = update_po()
        self.stdout.write(f"{PO_PATH}: {added} new (untranslated), {dropped} dropped")
        if not options["no_compile"]:
            # Only ours: never the virtualenv's packages' catalogues.
            call_command(
                "compilemessages",
                locale=["cy"],
                ignore_patterns=[".venv", ".local", ".git", "node_modules"],
                verbosity=options["verbosity"],
            )
