"""Operational records that hold no case data."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """One row per named periodic job, updated each time it runs; proves beat and worker run."""

    name = models.CharField(max_length=64, unique=True)
    last_run_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class TickClaim(models.Model):
    """The latest time slot of a periodic job that a worker has claimed.

    Whoever moves ``slot`` forward does that tick's work; everyone else finds it already
    claimed and does nothing. So two schedulers sending the same tick (a beat left running
    after a restart) still cause the work once per slot. One row per job, updated in place.
    """

    name = models.CharField(max_length=64, unique=True)
    slot = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
