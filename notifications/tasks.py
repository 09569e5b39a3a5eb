"""Thin Celery tasks for reminders and notification e-mails: ids in, one service each.

Every message holds one id and nothing else. A malformed id is rejected at once (logged,
never retried); every task is safe to run twice, on two workers at once, and again after a
crash (``notifications/reminders.py``, ``notifications/delivery.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from notifications.delivery import digest_deliver, notification_deliver
from notifications.reminders import Enqueue, reminder_process, scan

log = logging.getLogger("speakup.notifications")


def _an_id(task: str, value: object) -> int | None:
    """``value`` if it is a row id; otherwise ``None``, logged (a broken message)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    log.warning("task rejected: malformed id", extra={"task": task})
    return None


def _enqueue() -> Enqueue:
    return Enqueue(
        reminder=lambda pk: send_reminder.delay(pk),
        email=lambda pk: send_notification_email.delay(pk),
        digest=lambda pk: send_digest.delay(pk),
    )


@shared_task(name="notifications.tasks.scan_reminders", time_limit=300, ignore_result=True)
def scan_reminders() -> None:
    scan(_enqueue())


@shared_task(name="notifications.tasks.send_reminder", time_limit=60, ignore_result=True)
def send_reminder(reminder_id: Any) -> None:
    pk = _an_id("send_reminder", reminder_id)
    if pk is not None:
        reminder_process(pk, _enqueue().email)


@shared_task(
    bind=True,
    name="notifications.tasks.send_notification_email",
    time_limit=60,
    ignore_result=True,
    max_retries=None,  # the row counts the tries (delivery.MAX_ATTEMPTS)
)
def send_notification_email(self: Any, notification_id: Any) -> None:
    pk = _an_id("send_notification_email", notification_id)
    if pk is None:
        return
    outcome = notification_deliver(pk)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


@shared_task(
    bind=True,
    name="notifications.tasks.send_digest",
    time_limit=60,
    ignore_result=True,
    max_retries=None,
)
def send_digest(self: Any, digest_id: Any) -> None:
    pk = _an_id("send_digest", digest_id)
    if pk is None:
        return
    outcome = digest_deliver(pk)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
