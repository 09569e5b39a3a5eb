"""Thin Celery tasks for operations: take ids or names, call one service."""

from __future__ import annotations

import logging

from celery import shared_task

from ops.services import heartbeat_tick

logger = logging.getLogger("speakup.ops")


@shared_task(name="ops.tasks.record_heartbeat", time_limit=30, ignore_result=True)
def record_heartbeat(name: str = "beat", every: int = 60) -> None:
    """Record the heartbeat once in each ``every``-second slot (config/celery.py sends it)."""
    if heartbeat_tick(name=name, every=every) is None:
        logger.info("heartbeat %s: this slot's tick was claimed already; skipped", name)
