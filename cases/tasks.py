"""Thin Celery tasks for the case record: each calls one service and is safe to run twice."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from cases.audit import audit_verify
from cases.news import reporter_news_deliver, reporter_news_scan
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


@shared_task(name="cases.tasks.scan_reporter_news", time_limit=120, ignore_result=True)
def scan_reporter_news() -> None:
    """Hand the reporters' waiting "there is news" e-mails to tasks (cases/news.py)."""
    reporter_news_scan(lambda pk: send_reporter_news.delay(pk))


@shared_task(name="cases.tasks.send_reporter_news", time_limit=60, ignore_result=True)
def send_reporter_news(news_id: Any) -> None:
    """Send one "there is news on your report" e-mail, at most once. Takes the row's id only;
    anything else is a broken message, logged and dropped (never retried). A refused e-mail
    goes back to pending with a later time, and the scan hands it out again then."""
    if not (isinstance(news_id, int) and not isinstance(news_id, bool) and news_id > 0):
        logger.warning("task rejected: malformed id (send_reporter_news)")
        return
    reporter_news_deliver(news_id)
