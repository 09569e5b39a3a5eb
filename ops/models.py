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
