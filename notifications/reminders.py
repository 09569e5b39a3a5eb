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
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.constants import OnConflict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.audit import event_record, register
from cases.models import Action, CaseType, DataKey
from notifications import kinds
from notifications.digests import digests_claim
from notifications.logs import log
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


# A level's due days: from ``lo`` to ``hi``, both included; ``None`` is open-ended.
Bounds = tuple[dt.date | None, dt.date | None]


def level_bounds(policy: ReminderPolicy, today: dt.date) -> dict[str, Bounds]:
    """For one case type: the due days that put a deadline at each level on ``today``."""
    bounds: dict[str, Bounds] = {}
    if policy.soon_working_days:
        until = add_days(today, policy.soon_working_days, working=True)
        bounds[ReminderLevel.SOON] = (today + dt.timedelta(days=1), until)
    if policy.on_the_day:
        bounds[ReminderLevel.TODAY] = (today, today)
    if policy.overdue:
        bounds[ReminderLevel.OVERDUE] = (None, today - dt.timedelta(days=1))
    if policy.escalate_lead_after_days:
        bounds[ReminderLevel.ESCALATE_LEAD] = (
            None,
            working_days_back(today, policy.escalate_lead_after_days),
        )
    if policy.escalate_contact_after_days and policy.escalation_contact_id:
        bounds[ReminderLevel.ESCALATE_CONTACT] = (
            None,
            working_days_back(today, policy.escalate_contact_after_days),
        )
    return bounds


def _due_between(lo: dt.date | None, hi: dt.date | None) -> Q:
    # Bounded on both sides, open ends by the first and last days there are: a planner
    # without statistics (SQLite's) takes a one-sided range for most of the table and reads
    # every clock in id order instead of the index.
    return Q(due_on__gte=lo or dt.date.min, due_on__lte=hi or dt.date.max)


def level_days(today: dt.date) -> dict[str, list[tuple[Bounds, list[int] | None]]]:
    """Per level, the due days that put a deadline at it on ``today`` and the case types they
    apply to (``None``: every case type). Case types whose policies give the same days share
    one entry: with the default policies, each level is one range of days for all types."""
    everyone = policies()
    grouped: dict[str, dict[Bounds, list[int]]] = {}
    for case_type_id, policy in everyone.items():
        for level, bounds in level_bounds(policy, today).items():
            grouped.setdefault(level, {}).setdefault(bounds, []).append(case_type_id)
    return {
        level: [
            (bounds, None if len(types) == len(everyone) else sorted(types))
            for bounds, types in by_bounds.items()
        ]
        for level, by_bounds in grouped.items()
    }


def _level_conditions(today: dt.date) -> dict[str, Q]:
    """Per level, one condition on the due day (and, where policies differ, the case type)
    over every case type. The database answers a range of due days from the index of running
    clocks; a condition on the case's type, another table, is only added when needed, with
    the range of all the level's days beside it so that the index still serves."""
    conditions: dict[str, Q] = {}
    for level, entries in level_days(today).items():
        either = Q()
        for (lo, hi), types in entries:
            either |= _due_between(lo, hi) & (Q(case__case_type_id__in=types) if types else Q())
        if len(entries) > 1:
            lows = [lo for (lo, _), _ in entries]
            highs = [hi for (_, hi), _ in entries]
            either &= _due_between(
                None if None in lows else min(d for d in lows if d is not None),
                None if None in highs else max(d for d in highs if d is not None),
            )
        conditions[level] = either
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
        # One order for every scan (levels, then clocks before actions, each by id), so two
        # inserting at once wait for each other instead of deadlocking on the unique index.
        for level, condition in sorted(_level_conditions(today).items()):
            for field, source in (("clock", due_clocks()), ("action", due_actions())):
                claims_insert(_unclaimed(source.filter(condition), field, level), field, level, run)
        # Ours: what this run inserted (marked handed over as it was inserted); and claims
        # whose task message was lost, marked again.
        new_ids = list(Reminder.objects.filter(scan=run).values_list("pk", flat=True))
        lost = Reminder.objects.filter(
            state=ReminderState.CLAIMED, enqueued_at__lt=now - REENQUEUE_AFTER
        )
        lost_ids = list(lost.values_list("pk", flat=True))
        lost.update(enqueued_at=now)  # by the same condition: no list of ids in the SQL
        reminder_ids, claimed = new_ids + lost_ids, len(new_ids)
        email_ids = outbox_take(now)
        digest_ids = digests_claim(now)
        run.claimed = claimed
        run.emails_enqueued = len(email_ids)
        run.finished_at = timezone.now()
        run.duration_ms = int((time.monotonic() - started) * 1000)
        run.save(update_fields=["claimed", "emails_enqueued", "finished_at", "duration_ms"])
        # Robust: a broker that refuses one message does not stop the others; what was not
        # handed over is handed over again after REENQUEUE_AFTER.
        for send, ids in (
            (enqueue.reminder, reminder_ids),
            (enqueue.email, email_ids),
            (enqueue.digest, digest_ids),
        ):
            for pk in ids:
                transaction.on_commit(partial(send, pk), robust=True)
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


def claims_insert(found: QuerySet[Any], field: str, level: str, run: ScanRun) -> None:
    """Insert a claim at ``level`` for each clock or action (``field``) in ``found``, by the
    scan ``run``, in one ``INSERT ... SELECT`` that skips those claimed already (INSERT OR
    IGNORE on SQLite, ON CONFLICT DO NOTHING on PostgreSQL): no row passes through Python."""
    select = found.order_by("pk").values_list(
        "pk",
        "case_id",
        "due_on",
        Value(level, output_field=CharField()),
        Value(run.pk, output_field=BigIntegerField()),
        Value(ReminderState.CLAIMED.value, output_field=CharField()),
        Value(run.started_at, output_field=DateTimeField()),
        Value(run.started_at, output_field=DateTimeField()),
        Value("", output_field=CharField()),
    )
    sql, params = select.query.sql_with_params()
    meta = Reminder._meta
    column = {f.attname: str(f.column) for f in meta.concrete_fields}
    targets = [f"{field}_id", "case_id", "due_on", "level", "scan_id", "state", "claimed_at"]
    columns = [column[name] for name in [*targets, "enqueued_at", "outcome"]]
    ops = connection.ops
    statement = " ".join(
        part
        for part in (
            ops.insert_statement(on_conflict=OnConflict.IGNORE),
            ops.quote_name(meta.db_table),
            f"({', '.join(ops.quote_name(c) for c in columns)})",
            sql,
            ops.on_conflict_suffix_sql([], OnConflict.IGNORE, [], []),
        )
        if part
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


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
            transaction.on_commit(partial(enqueue_email, pk), robust=True)
    log.info(
        "reminder sent",
        extra={"reminder_id": reminder_id, "level": reminder.level, "count": len(created)},
    )
    return "done"
