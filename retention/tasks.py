"""Thin Celery tasks for retention: each calls one service and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from retention.ancillary import ancillary_purge
from retention.purge import purge_due_cases

logger = logging.getLogger("speakup.retention")


@shared_task(name="retention.tasks.purge_expired_cases", time_limit=3 * 3600, ignore_result=True)
def purge_expired_cases() -> None:
    """Purge the cases whose retention period has passed, then the stale ancillary data whose
    turn has come. Each case is its own transaction, so a run stopped by its time limit (or a
    crash) loses nothing: the next run carries on."""
    run = purge_due_cases()
    logger.info("Retention purged %d case(s).", len(run.purged))
    ancillary_purge()
