"""Thin Celery tasks for reminders and notification e-mails: ids in, one service each.

Every message holds one id and nothing else. A malformed id is rejected at once (logged,
never retried); every task is safe to run twice, on two workers at once, and again after a
crash (``notifications/reminders.py``, ``notifications/delivery.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task

from notifications.delivery import Outcome, digest_deliver, notification_deliver
from notifications.logs import log
from notifications.reminders import Enqueue, reminder_process, scan
from notifications.services import staff_news_send


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


@shared_task(name="notifications.tasks.send_staff_news", time_limit=300, ignore_result=True)
def send_staff_news() -> None:
    """One of the day's fixed rounds: tell staff what reporters did since the last."""
    staff_news_send()


@shared_task(name="notifications.tasks.send_reminder", time_limit=60, ignore_result=True)
def send_reminder(reminder_id: Any) -> None:
    pk = _an_id("send_reminder", reminder_id)
    if pk is not None:
        reminder_process(pk, _enqueue().email)


def _deliver(task: Any, value: Any, deliver: Callable[[int], Outcome]) -> None:
    """Send one e-mail by id; on a refusal, ask Celery to retry after the backoff."""
    pk = _an_id(task.name, value)
    if pk is None:
        return
    outcome = deliver(pk)
    if outcome.retry_in is not None:
        raise task.retry(countdown=outcome.retry_in)


# max_retries=None: the outbox row counts the tries (delivery.MAX_ATTEMPTS), not Celery.
@shared_task(
    bind=True,
    name="notifications.tasks.send_notification_email",
    time_limit=60,
    ignore_result=True,
    max_retries=None,
)
def send_notification_email(self: Any, notification_id: Any) -> None:
    _deliver(self, notification_id, notification_deliver)


@shared_task(
    bind=True,
    name="notifications.tasks.send_digest",
    time_limit=60,
    ignore_result=True,
    max_retries=None,
)
def send_digest(self: Any, digest_id: Any) -> None:
    _deliver(self, digest_id, digest_deliver)
