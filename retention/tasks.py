"""Thin Celery tasks for retention: each calls one service and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from retention.ancillary import ancillary_purge
from retention.events import audit_chains_purge, audit_events_purge
from retention.purge import purge_due_cases
from retention.services import holds_review_remind

logger = logging.getLogger("speakup.retention")


@shared_task(name="retention.tasks.purge_expired_cases", time_limit=1800, ignore_result=True)
def purge_expired_cases() -> None:
    """Tell the governance leads of legal holds past their review day, purge the cases whose
    retention period has passed and the audit events of cases purged long enough ago
    (``SPEAKUP_AUDIT_RETENTION_DAYS``), then the stale ancillary data whose turn has come. Each
    batch of cases is its own transaction, so a run stopped by its time limit (the longest a
    task may have, ``SPEAKUP_TASK_TIME_LIMIT_LONGEST``) or a crash loses nothing: the next run
    carries on."""
    reminded = holds_review_remind()
    run = purge_due_cases()
    events = audit_events_purge()
    chains = audit_chains_purge()
    logger.info(
        "Retention purged %d case(s) and the audit events of %d, and %d old link(s) of the "
        "refusals' and staff events' chains; %d hold(s) due for review.",
        run.purged,
        events.cases,
        sum(chains.removed.values()),
        reminded,
    )
    ancillary_purge()
