"""Data that is not a case but must not outlive its use, purged by the retention job on its
own schedule: each kind registers a name, how often it runs and a function that deletes what
is stale and returns how many rows or files it removed.

Registered here: expired sessions (staff sign-ins; the reporter side keeps no server-side
session). Registered by their own apps: stale submission keys (``intake``). What needs
nothing: throttle counters live in the cache with their own expiry; Celery keeps no task
results (``CELERY_TASK_IGNORE_RESULT``, no result backend); evidence files a crash left
without a row, and partial copies, are removed by the evidence sweep (``cases/storage.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.utils import timezone

from ops.models import Heartbeat

logger = logging.getLogger("speakup.retention")


@dataclass(frozen=True)
class Ancillary:
    name: str
    every: dt.timedelta
    purge: Callable[[dt.datetime], int]  # given now, deletes what is stale; returns a count


REGISTRY: dict[str, Ancillary] = {}


def ancillary_register(
    name: str, *, every: dt.timedelta, purge: Callable[[dt.datetime], int]
) -> None:
    """Have the retention job run ``purge`` at most once per ``every``."""
    if name in REGISTRY:
        raise ValueError(f"Ancillary purge {name!r} is registered twice.")
    REGISTRY[name] = Ancillary(name=name, every=every, purge=purge)


def _sessions(now: dt.datetime) -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return deleted


ancillary_register("sessions", every=dt.timedelta(days=1), purge=_sessions)


def ancillary_purge(*, now: dt.datetime | None = None, force: bool = False) -> dict[str, int]:
    """Run every registered purge whose time has come (each remembers its last run in a
    heartbeat row named ``retention:<name>``). Returns the count removed per name run."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for item in REGISTRY.values():
        beat = Heartbeat.objects.filter(name=f"retention:{item.name}").first()
        if not force and beat is not None and now - beat.last_run_at < item.every:
            continue
        done[item.name] = item.purge(now)
        Heartbeat.objects.update_or_create(
            name=f"retention:{item.name}", defaults={"last_run_at": now}
        )
        if done[item.name]:
            logger.info("Retention removed %d stale %s.", done[item.name], item.name)
    return done
