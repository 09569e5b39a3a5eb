"""Reads for the health check and the staff health page: is each part of the service right.

Each probe answers quickly whatever is down: the cache gives up within half a second
(``ops/cache.py``) and the broker probe within ``SPEAKUP_BROKER_PROBE_SECONDS``, so a
load balancer's check never hangs on them. Nothing here writes to the application database.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from cases.audit import audit_status
from ops.cache import cache_ping
from ops.models import Heartbeat

logger = logging.getLogger("speakup.ops")

# What must be "ok" for the service to answer healthy.
REQUIRED = ("database", "cache", "broker", "heartbeat")


def broker_queue_length() -> int | None:
    """How many tasks wait in the default queue, or ``None`` when the broker cannot be
    reached within ``SPEAKUP_BROKER_PROBE_SECONDS``. Declaring the queue is a real round
    trip (Redis, or the embedded broker's SQLite file), unlike opening a connection."""
    from kombu import Connection

    limit = settings.SPEAKUP_BROKER_PROBE_SECONDS
    url = settings.CELERY_BROKER_URL
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if url.startswith(("redis://", "rediss://")):
        options.update(socket_connect_timeout=limit, socket_timeout=limit)
    else:  # the embedded broker: SQLite's wait for a lock, not the worker's 30 s
        options["connect_args"] = {"timeout": limit}
    try:
        with Connection(url, connect_timeout=limit, transport_options=options) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=int(limit) or 1)
            channel: Any = connection.default_channel  # a kombu virtual channel
            declared = channel.queue_declare(
                queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=False
            )
            return int(declared.message_count)
    except Exception as error:
        logger.warning("broker probe failed: %s", type(error).__name__)
        return None


def heartbeat_state(now: dt.datetime | None = None) -> dict[str, Any]:
    """The scheduler's heartbeat: ``ok``, ``stale`` (older than the limit) or ``missing``."""
    beat = Heartbeat.objects.filter(name="beat").first()
    if beat is None:
        return {"heartbeat": "missing", "last_heartbeat": None}
    age = ((now or timezone.now()) - beat.last_run_at).total_seconds()
    fresh = age <= settings.SPEAKUP_HEARTBEAT_STALE_SECONDS
    return {
        "heartbeat": "ok" if fresh else "stale",
        "last_heartbeat": beat.last_run_at,
    }


def service_health() -> dict[str, Any]:
    """Every check by name, which of them fail, and whether the service is healthy."""
    try:
        beat = heartbeat_state()
        audit = audit_status()
        database = "ok"
    except DatabaseError:
        beat = {"heartbeat": "unknown", "last_heartbeat": None}
        audit, database = None, "down"
    queued = broker_queue_length()
    health: dict[str, Any] = {
        "database": database,
        "cache": "ok" if cache_ping() else "down",
        "broker": "ok" if queued is not None else "down",
        "tasks_waiting": queued,
        **beat,
        "audit": audit,
    }
    health["failing"] = [name for name in REQUIRED if health[name] != "ok"]
    health["status"] = "unhealthy" if health["failing"] else "ok"
    return health
