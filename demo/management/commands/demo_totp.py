"""Print the current two-factor code of the demo accounts (development only)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.management.commands.seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the demo accounts' current TOTP code (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEV:
            raise CommandError("demo_totp only runs in development mode (SPEAKUP_DEV=true).")
        now = int(time.time())
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, now // 30))
        self.stdout.write(f"{code}  (valid for {30 - now % 30} more seconds; each code works once)")
