"""Writes to operational records."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from ops.models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    """Note that the periodic job ``name`` ran now. Safe to run twice or concurrently."""
    with transaction.atomic():
        beat, created = Heartbeat.objects.select_for_update().get_or_create(
            name=name, defaults={"last_run_at": timezone.now(), "runs": 1}
        )
        if not created:
            beat.last_run_at = timezone.now()
            beat.runs = models.F("runs") + 1
            beat.save(update_fields=["last_run_at", "runs"])
            beat.refresh_from_db()
    return beat
