"""Seal every second-factor secret under the active master key (after a key rotation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from staff.mfa import mfa_secrets_rewrap


class Command(BaseCommand):
    help = (
        "Re-seal second-factor secrets that are in clear or under an old master key "
        "(resumable; run it after rotate_master_key)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = mfa_secrets_rewrap()
        self.stdout.write(f"{done} authenticator(s) re-sealed under the active master key.")
