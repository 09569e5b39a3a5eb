"""Thin Celery tasks for the case record: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from cases.audit import audit_verify


@shared_task(name="cases.tasks.verify_audit_chains", time_limit=1800, ignore_result=True)
def verify_audit_chains() -> None:
    """Check every audit chain and record the result for the health page."""
    audit_verify()
