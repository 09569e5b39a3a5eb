"""The reminder scan and what one reminder does.

``scan`` runs every few minutes from beat. For each reminder level it selects, in one SQL
query over all case types, the running clocks and open actions whose due day puts them at
that level today and that have no claim for it yet; it inserts one ``Reminder`` row per
(clock or action, level, due day), letting the database drop conflicts (INSERT OR IGNORE on
SQLite, ON CONFLICT DO NOTHING on PostgreSQL), and reads back the rows its own run inserted.
Only those are enqueued, one task each with the reminder's id only, after the transaction
commits. Two scans at once, or a scan after days without one, claim each reminder once.

Levels are windows that do not overlap before the due day (soon, today, overdue), so a scan
after an outage sends the one that applies now, never a "due soon" for something overdue;
the two escalations are further levels for other people.

``reminder_process`` is the task's work: under the reminder's row lock it checks that the
reminder still applies (the case is neither gone, purged nor closed; the clock runs with the
same due day; the action is open and still its owner's), notifies, and marks the row done,
all in one transaction, so running it twice or on two workers at once notifies once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.audit import event_record, register
from cases.models import Action, CaseType, DataKey
from notifications import kinds
from notifications.digests import digests_claim
from notifications.models import (
    Delivery,
    Notification,
    Reminder,
    ReminderLevel,
    ReminderPolicy,
    ReminderState,
    ScanRun,
)
from notifications.selectors import case_holders, triage_leads_of
from notifications.services import notify
from permissions.selectors import people_working_on
from workflows.calendar import add_days, is_working_day
from workflows.models import Clock

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger("speakup.notifications")

register("reminder.sent", _("A reminder was sent ({level})."), "level", "count")

# A claimed reminder, or a pending e-mail, whose task has not run after this long is handed
# to a task again (its message was lost); the tasks are idempotent, so a duplicate is harmless.
REENQUEUE_AFTER = dt.timedelta(minutes=15)
# An e-mail still "sending" this long after its task took it was interrupted mid-send (the
# worker died): it is recorded as failed, never sent again (docs/decisions/0019).
SENDING_LEASE = dt.timedelta(minutes=15)

CLOCK_KINDS = {
    ReminderLevel.SOON: kinds.DEADLINE_SOON,
    ReminderLevel.TODAY: kinds.DEADLINE_TODAY,
    ReminderLevel.OVERDUE: kinds.DEADLINE_OVERDUE,
    ReminderLevel.ESCALATE_LEAD: kinds.ESCALATION,
    ReminderLevel.ESCALATE_CONTACT: kinds.ESCALATION,
}
ACTION_KINDS = {
    **CLOCK_KINDS,
    ReminderLevel.SOON: kinds.ACTION_SOON,
    ReminderLevel.TODAY: kinds.ACTION_TODAY,
    ReminderLevel.OVERDUE: kinds.ACTION_OVERDUE,
}


def reminder_today() -> dt.date:
    """The day the scan takes as today: the local date, or the injected day in development
    and tests (``SPEAKUP_REMINDER_TODAY``)."""
    fixed = settings.SPEAKUP_REMINDER_TODAY
    return dt.date.fromisoformat(fixed) if fixed else timezone.localdate()


def working_days_back(today: dt.date, days: int) -> dt.date:
    """The latest due day that is at least ``days`` working days overdue on ``today``: the
    ``days``-th working day counting back from ``today`` (itself included), less one day."""
    found, day = 0, today
    while True:
        if is_working_day(day):
            found += 1
            if found >= days:
                return day - dt.timedelta(days=1)
        day -= dt.timedelta(days=1)


def policies() -> dict[int, ReminderPolicy]:
    """Every case type's policy; the field defaults for a case type without a row."""
    found = {p.case_type_id: p for p in ReminderPolicy.objects.all()}
    return {
        pk: found.get(pk) or ReminderPolicy(case_type_id=pk)
        for pk in CaseType.objects.values_list("pk", flat=True)
    }


def level_windows(policy: ReminderPolicy, today: dt.date) -> dict[str, Q]:
    """For one case type: the due days (``due_on`` conditions) at each level on ``today``."""
    windows: dict[str, Q] = {}
    if policy.soon_working_days:
        until = add_days(today, policy.soon_working_days, working=True)
        windows[ReminderLevel.SOON] = Q(due_on__gt=today, due_on__lte=until)
    if policy.on_the_day:
        windows[ReminderLevel.TODAY] = Q(due_on=today)
    if policy.overdue:
        windows[ReminderLevel.OVERDUE] = Q(due_on__lt=today)
    if policy.escalate_lead_after_days:
        latest = working_days_back(today, policy.escalate_lead_after_days)
        windows[ReminderLevel.ESCALATE_LEAD] = Q(due_on__lte=latest)
    if policy.escalate_contact_after_days and policy.escalation_contact_id:
        latest = working_days_back(today, policy.escalate_contact_after_days)
        windows[ReminderLevel.ESCALATE_CONTACT] = Q(due_on__lte=latest)
    return windows


def _level_conditions(today: dt.date) -> dict[str, Q]:
    """Per level, one condition over every case type (``case__case_type`` and due days)."""
    conditions: dict[str, Q] = {}
    for case_type_id, policy in policies().items():
        for level, window in level_windows(policy, today).items():
            clause = Q(case__case_type_id=case_type_id) & window
            conditions[level] = conditions[level] | clause if level in conditions else clause
    return conditions


def _unclaimed(qs: QuerySet[Any], field: str, level: str) -> QuerySet[Any]:
    claimed = Reminder.objects.filter(
        **{field: OuterRef("pk")}, level=level, due_on=OuterRef("due_on")
    )
    return qs.exclude(Exists(claimed))


def due_clocks() -> QuerySet[Clock]:
    """Running clocks of open cases (not stopped, not paused)."""
    return Clock.objects.filter(
        stopped_on__isnull=True, paused_on__isnull=True, case__closed_on__isnull=True
    )


def due_actions() -> QuerySet[Action]:
    """Open actions with a due day on open cases."""
    return Action.objects.filter(
        completed_at__isnull=True, due_on__isnull=False, case__closed_on__isnull=True
    )


@dataclass(frozen=True)
class ScanResult:
    run_id: int
    claimed: int
    emails: int


@dataclass(frozen=True)
class Enqueue:
    """How the scan hands work to tasks (each called with one id, after commit)."""

    reminder: Callable[[int], object]
    email: Callable[[int], object]
    digest: Callable[[int], object]


def scan(enqueue: Enqueue) -> ScanResult:
    """Claim every reminder that applies today and is not yet claimed, hand each to a task
    (ids only, after commit), and hand the outbox's due e-mails to tasks. Set-based: a few
    queries per level, however many cases there are."""
    started = time.monotonic()
    today = reminder_today()
    now = timezone.now()
    with transaction.atomic():
        run = ScanRun.objects.create(started_at=now, today=today)
        rows: list[Reminder] = []
        for level, condition in _level_conditions(today).items():
            for field, source in (("clock", due_clocks()), ("action", due_actions())):
                found = _unclaimed(source.filter(condition), field, level)
                rows.extend(
                    Reminder(
                        **{f"{field}_id": pk},
                        case_id=case_id,
                        level=level,
                        due_on=due_on,
                        scan=run,
                        claimed_at=now,
                    )
                    for pk, case_id, due_on in found.values_list("pk", "case_id", "due_on")
                )
        Reminder.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        # Ours: what this run inserted; plus claims whose task message was lost.
        mine = Reminder.objects.filter(state=ReminderState.CLAIMED).filter(
            Q(scan=run) | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
        )
        reminder_ids = list(mine.values_list("pk", flat=True))
        Reminder.objects.filter(pk__in=reminder_ids).update(enqueued_at=now)
        claimed = Reminder.objects.filter(scan=run).count()
        email_ids = outbox_take(now)
        digest_ids = digests_claim(now)
        run.claimed = claimed
        run.emails_enqueued = len(email_ids)
        run.finished_at = timezone.now()
        run.duration_ms = int((time.monotonic() - started) * 1000)
        run.save(update_fields=["claimed", "emails_enqueued", "finished_at", "duration_ms"])
        for send, ids in (
            (enqueue.reminder, reminder_ids),
            (enqueue.email, email_ids),
            (enqueue.digest, digest_ids),
        ):
            for pk in ids:
                transaction.on_commit(partial(send, pk))
    log.info(
        "reminder scan",
        extra={
            "scan_id": run.pk,
            "claimed": claimed,
            "enqueued": len(reminder_ids),
            "emails": len(email_ids),
            "digests": len(digest_ids),
            "ms": run.duration_ms,
        },
    )
    return ScanResult(run_id=run.pk, claimed=claimed, emails=len(email_ids))


def outbox_take(now: dt.datetime, limit: int = 5000) -> list[int]:
    """The outbox's e-mails due to go (pending, their next try due, not handed to a task in
    the last minutes), marked as handed over; and e-mails interrupted mid-send recorded as
    failed. Runs inside the scan's transaction."""
    stale = Notification.objects.filter(
        delivery=Delivery.SENDING, claimed_at__lt=now - SENDING_LEASE
    )
    interrupted = stale.update(delivery=Delivery.FAILED, outcome="interrupted")
    if interrupted:
        log.warning("e-mails interrupted mid-send", extra={"count": interrupted})
    due = Notification.objects.filter(delivery=Delivery.PENDING, next_attempt_at__lte=now).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    Notification.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


# --- One reminder ------------------------------------------------------------------------------


def _why_not(reminder: Reminder) -> str:
    """Why this reminder no longer applies, or ``""`` when it does."""
    case = reminder.case
    if not DataKey.objects.filter(case_id=case.pk).exists():
        return "purged"
    if case.closed_on is not None:
        return "closed"
    today = reminder_today()
    if (reminder.level == ReminderLevel.SOON and today >= reminder.due_on) or (
        reminder.level == ReminderLevel.TODAY and today > reminder.due_on
    ):
        return "late"  # its task ran after the day it was for; a later level applies
    if reminder.clock_id is not None:
        clock = Clock.objects.filter(pk=reminder.clock_id).first()
        if clock is None or clock.stopped_on or clock.paused_on:
            return "stopped"
        if clock.due_on != reminder.due_on:
            return "moved"
        return ""
    action = Action.objects.filter(pk=reminder.action_id or "").first()
    if action is None or action.completed_at is not None:
        return "done"
    if action.due_on != reminder.due_on:
        return "moved"
    if action.owner_id and not people_working_on(case).filter(pk=action.owner_id).exists():
        return "reassigned"
    return ""


def _recipients(reminder: Reminder) -> list[User]:
    case = reminder.case
    if reminder.level == ReminderLevel.ESCALATE_LEAD:
        return list(triage_leads_of(case))
    if reminder.level == ReminderLevel.ESCALATE_CONTACT:
        policy = ReminderPolicy.objects.filter(case_type_id=case.case_type_id).first()
        contact = policy.escalation_contact if policy else None
        return [contact] if contact is not None and contact.is_active else []
    if reminder.action_id is not None:
        owner = User.objects.filter(
            pk=Action.objects.filter(pk=reminder.action_id).values("owner_id")[:1], is_active=True
        ).first()
        if owner is not None:
            return [owner]
    return case_holders(case)


def reminder_process(reminder_id: int, enqueue_email: Callable[[int], object]) -> str:
    """Do one claimed reminder, once: notify whom it is for, or record why not. Returns
    what happened (``done``, ``gone``, ``already``, or the reason it was skipped)."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("case__case_type")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None:
            log.info("reminder skipped", extra={"reminder_id": reminder_id, "why": "gone"})
            return "gone"
        if reminder.state != ReminderState.CLAIMED:
            log.info("reminder skipped", extra={"reminder_id": reminder_id, "why": "already"})
            return "already"
        why = _why_not(reminder)
        recipients = [] if why else _recipients(reminder)
        if not why and not recipients:
            why = "nobody"
        reminder.done_at = timezone.now()
        if why:
            reminder.state, reminder.outcome = ReminderState.SKIPPED, why
            reminder.save(update_fields=["state", "outcome", "done_at"])
            log.info("reminder skipped", extra={"reminder_id": reminder_id, "why": why})
            return why
        table = CLOCK_KINDS if reminder.clock_id is not None else ACTION_KINDS
        created = notify(recipients, table[ReminderLevel(reminder.level)], reminder.case)
        event_record(
            case=reminder.case,
            code="reminder.sent",
            payload={"level": reminder.level, "count": len(created)},
        )
        reminder.state = ReminderState.DONE
        reminder.save(update_fields=["state", "done_at"])
        now = timezone.now()
        pending = [n.pk for n in created if n.delivery == Delivery.PENDING]
        Notification.objects.filter(pk__in=pending).update(enqueued_at=now)
        for pk in pending:
            transaction.on_commit(partial(enqueue_email, pk))
    log.info(
        "reminder sent",
        extra={"reminder_id": reminder_id, "level": reminder.level, "count": len(created)},
    )
    return "done"
