"""Sending one notification's e-mail (or one digest), exactly once where it can be known.

The row is the outbox entry, and its ``delivery`` column is the lock:

1. a conditional UPDATE moves it from ``pending`` to ``sending`` (one statement: of two
   workers, or a task run twice, exactly one sees a row changed) and commits;
2. the e-mail goes to the SMTP server;
3. a second conditional UPDATE moves it from ``sending`` to ``sent``.

Run again after 3 (a crash between sending and the broker's acknowledgement, a redelivered
message, a second worker): step 1 changes nothing, so nothing is sent. A refused or failed
SMTP conversation in 2 puts the row back to ``pending`` with a later ``next_attempt_at``
(1, 2, 4, 8 minutes) and the task retries, then ``failed`` after ``MAX_ATTEMPTS``. A worker
that dies between 1 and 3 leaves the row ``sending``: whether the server took the message is
unknown, so after ``SENDING_LEASE`` the scan records it ``failed`` (``interrupted``) rather
than risk a second e-mail; the workspace entry is there either way and the failure shows on
the health page. At most one e-mail, and every failure visible.

What an e-mail says: that something needs attention, and where to sign in. Never the case's
reference, content, category, reporter, subject, nor (unless ``SPEAKUP_NOTIFY_NAMES_CASE_TYPE``)
its case type; the link is the sign-in page of the notification list, never a case's id.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases.models import DataKey
from notifications.kinds import kind_of
from notifications.models import Delivery, Digest, Notification
from notifications.selectors import case_holders

log = logging.getLogger("speakup.notifications")

MAX_ATTEMPTS = 5


def backoff(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones: 60, 120, 240, 480."""
    return int(60 * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, skipped, failed, retry, gone, already
    retry_in: int | None = None


def _context(kind: str | None, case_type_name: str | None, count: int = 1) -> dict[str, object]:
    return {
        "headline": kind_of(kind).headline if kind else None,
        "count": count,
        "case_type": case_type_name if settings.SPEAKUP_NOTIFY_NAMES_CASE_TYPE else None,
        "link": f"{settings.SPEAKUP_SITE_URL}{reverse('staff:notifications')}",
    }


def email_render(
    template: str, subject: str, to: str, context: dict[str, object]
) -> EmailMultiAlternatives:
    """The text and HTML pair of ``notifications/email/<template>``."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/email/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"notifications/email/{template}.html", context), "text/html"
    )
    return message


def _why_not(notification: Notification) -> str:
    user = notification.recipient
    if not (user.is_active and user.email):
        return "no_address"
    case = notification.case
    if case is None:
        return ""
    if not DataKey.objects.filter(case_id=case.pk).exists():
        return "purged"
    if kind_of(notification.kind).audience == "holders" and user.pk not in {
        holder.pk for holder in case_holders(case)
    }:
        return "reassigned"
    return ""


def _claim(model: type[Notification] | type[Digest], pk: int, now: dt.datetime) -> bool:
    return bool(
        model.objects.filter(pk=pk, delivery=Delivery.PENDING).update(
            delivery=Delivery.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def _settle(model: Any, pk: int, claimed_at: dt.datetime, **fields: object) -> None:
    model.objects.filter(pk=pk, delivery=Delivery.SENDING, claimed_at=claimed_at).update(**fields)


def _send(
    model: Any, pk: int, claimed_at: dt.datetime, attempts: int, message: EmailMultiAlternatives
) -> Outcome:
    """Step 2 and 3: send, then record sent; or put back for a retry, or record failed."""
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        if attempts >= MAX_ATTEMPTS:
            _settle(model, pk, claimed_at, delivery=Delivery.FAILED, outcome="smtp")
            log.warning(
                "e-mail failed",
                extra={
                    "model": model.__name__,
                    "id": pk,
                    "attempts": attempts,
                    "error": type(error).__name__,
                },
            )
            return Outcome("failed")
        wait = backoff(attempts)
        _settle(
            model,
            pk,
            claimed_at,
            delivery=Delivery.PENDING,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
            outcome="smtp",
        )
        log.info(
            "e-mail refused, will retry",
            extra={
                "model": model.__name__,
                "id": pk,
                "attempts": attempts,
                "wait": wait,
                "error": type(error).__name__,
            },
        )
        return Outcome("retry", retry_in=wait)
    _settle(model, pk, claimed_at, delivery=Delivery.SENT, emailed_at=timezone.now(), outcome="")
    log.info("e-mail sent", extra={"model": model.__name__, "id": pk, "attempts": attempts})
    return Outcome("sent")


def _not_claimed(model: Any, pk: int) -> Outcome:
    state = model.objects.filter(pk=pk).values_list("delivery", flat=True).first()
    status = "gone" if state is None else "already"
    log.info(
        "e-mail not taken", extra={"model": model.__name__, "id": pk, "why": status, "state": state}
    )
    return Outcome(status)


def notification_deliver(notification_id: int) -> Outcome:
    """Send one notification's e-mail if it is still pending (see the module's steps)."""
    now = timezone.now()
    if not _claim(Notification, notification_id, now):
        return _not_claimed(Notification, notification_id)
    notification = Notification.objects.select_related("recipient", "case__case_type").get(
        pk=notification_id
    )
    why = _why_not(notification)
    if why:
        _settle(Notification, notification_id, now, delivery=Delivery.SKIPPED, outcome=why)
        log.info("e-mail not sent", extra={"id": notification_id, "why": why})
        return Outcome("skipped")
    case = notification.case
    message = email_render(
        notification.kind,
        str(kind_of(notification.kind).headline),
        notification.recipient.email,
        _context(notification.kind, case.case_type.name if case else None),
    )
    return _send(Notification, notification_id, now, notification.attempts, message)


def digest_deliver(digest_id: int) -> Outcome:
    """Send one person's daily digest if it is still pending: how many things wait, and the
    link. Its notifications are marked with the digest's outcome."""
    now = timezone.now()
    if not _claim(Digest, digest_id, now):
        return _not_claimed(Digest, digest_id)
    digest = Digest.objects.select_related("recipient").get(pk=digest_id)
    user = digest.recipient
    count = digest.notifications.count()
    if not (user.is_active and user.email) or not count:
        why = "no_address" if count else "empty"
        _settle(Digest, digest_id, now, delivery=Delivery.SKIPPED, outcome=why)
        digest.notifications.update(delivery=Delivery.SKIPPED, outcome=why)
        return Outcome("skipped")
    message = email_render(
        "digest",
        "Things need your attention in Speak Up",
        user.email,
        _context(None, None, count=count),
    )
    outcome = _send(Digest, digest_id, now, digest.attempts, message)
    if outcome.status in ("sent", "failed"):
        digest.notifications.update(
            delivery=Delivery.SENT if outcome.status == "sent" else Delivery.FAILED,
            emailed_at=timezone.now() if outcome.status == "sent" else None,
        )
    return outcome
