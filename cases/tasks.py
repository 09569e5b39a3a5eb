"""Thin Celery tasks for the case record: each calls one service and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from cases.audit import audit_verify
from cases.storage import storage_sweep

logger = logging.getLogger("speakup.storage")


@shared_task(name="cases.tasks.sweep_evidence_storage", time_limit=600, ignore_result=True)
def sweep_evidence_storage() -> None:
    """Removes evidence files left without a row and re-dates new ones (cases/storage.py)."""
    result = storage_sweep()
    if result.removed:
        logger.warning("evidence sweep removed %d file(s) left without a record", result.removed)


@shared_task(name="cases.tasks.verify_audit_chains", time_limit=1800, ignore_result=True)
def verify_audit_chains() -> None:
    """Check every audit chain and record the result for the health page."""
    audit_verify()
