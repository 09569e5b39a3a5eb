"""Writes to operational records."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ops.models import Heartbeat, TickClaim


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


def tick_slot(now: dt.datetime, every: int) -> dt.datetime:
    """The start of the ``every``-second slot that ``now`` falls in (counted from the epoch)."""
    seconds = int(now.timestamp()) // every * every
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def tick_claim(*, name: str, every: int, now: dt.datetime | None = None) -> bool:
    """Claim the current ``every``-second slot of the periodic job ``name``: True for the
    first caller in the slot, False for every later one, however many run at once.

    One conditional update moves the job's row forward only from an earlier slot; the
    database lets exactly one of two concurrent updates match. The job's first ever claim
    inserts the row, and the unique name lets only one insert succeed.
    """
    slot = tick_slot(now or timezone.now(), every)
    if TickClaim.objects.filter(name=name, slot__lt=slot).update(slot=slot):
        return True
    try:
        with transaction.atomic():
            TickClaim.objects.create(name=name, slot=slot)
    except IntegrityError:
        return False  # claimed already in this slot (or a later one, if a clock went back)
    return True


def heartbeat_tick(*, name: str, every: int) -> Heartbeat | None:
    """The periodic heartbeat: recorded once per ``every`` seconds whatever number of
    schedulers send it; ``None`` when this slot's heartbeat was already recorded."""
    with transaction.atomic():
        if not tick_claim(name=f"heartbeat:{name}", every=every):
            return None
        return heartbeat_record(name=name)
