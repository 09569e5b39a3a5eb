"""Statutory clocks: the only module that starts, pauses, extends and stops them.

Whistleblowing (EU Directive 2019/1937): acknowledge within 7 days of receipt, give feedback
within 3 months of acknowledging. Each case type sets its own days, in calendar or working
days. Every pause, resumption and extension is audited with a reason; met or missed is
recorded on the clock and in the audit record.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.audit import event_record
from cases.exceptions import SpeakUpError
from cases.keys import case_cipher
from cases.models import Case
from workflows.calendar import add_days, is_working_day
from workflows.models import Clock, ClockKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ClockError(SpeakUpError):
    message = "That change to the deadline is not possible."


def _days(case: Case, kind: ClockKind, stage: str) -> int | None:
    case_type = case.case_type
    if kind == ClockKind.ACKNOWLEDGE:
        return case_type.acknowledge_within_days
    if kind == ClockKind.STAGE:
        limit = (case_type.stage_limits or {}).get(stage)
        return int(limit) if isinstance(limit, int | str) and str(limit).isdigit() else None
    return case_type.feedback_within_days


def clock_start(
    *,
    case: Case,
    kind: ClockKind,
    on: dt.date,
    stage: str = "",
    history_date: dt.datetime | None = None,
) -> Clock | None:
    """Start ``kind`` for ``case`` from ``on`` (idempotent: a started clock is kept).
    ``history_date`` dates the new clock's history row (a reporter's action: to the day)."""
    days = _days(case, kind, stage)
    if not days:
        return None
    working = case.case_type.deadlines_in_working_days
    found = Clock.objects.filter(case=case, kind=kind, stage=stage).first()
    if found is not None:
        return found
    clock = Clock(
        case=case,
        kind=kind,
        stage=stage,
        started_on=on,
        working_days=working,
        due_on=add_days(on, days, working=working),
    )
    clock._history_date = history_date or timezone.now()  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            clock.save(force_insert=True)
    except IntegrityError:  # started at the same moment by another request
        return Clock.objects.get(case=case, kind=kind, stage=stage)
    return clock


def clocks_ensure(case: Case) -> list[Clock]:
    """The case's clocks, starting the acknowledgement clock from the day of receipt. That
    start belongs to the report, so its history row is dated to that day, like the case's."""
    received = timezone.make_aware(dt.datetime.combine(case.received_on, dt.time.min))
    clock_start(case=case, kind=ClockKind.ACKNOWLEDGE, on=case.received_on, history_date=received)
    return list(
        Clock.objects.filter(case=case)
        .select_related("case__case_type")
        .order_by("started_on", "kind", "stage")
    )


def clock_stop(
    *, case: Case, kind: ClockKind, on: dt.date, actor: User | None, stage: str = ""
) -> Clock | None:
    """Stop a running clock on ``on``: met if on or before the due day. Audited once."""
    clock = Clock.objects.filter(case=case, kind=kind, stage=stage, stopped_on__isnull=True).first()
    if clock is None:
        return None
    clock.stopped_on = on
    clock.met = on <= clock.due_on
    clock.save(update_fields=["stopped_on", "met"])
    event_record(
        case=case,
        code="clock.met" if clock.met else "clock.missed",
        actor=actor,
        payload={"clock": kind.value, "due_on": clock.due_on.isoformat()},
    )
    return clock


def _seal_reason(case: Case, clock: Clock, reason: str) -> bytes:
    text = reason.strip()
    if not text:
        raise ClockError("Give a reason.")
    return case_cipher(case.pk).seal(
        text[:2000].encode(), model_label="workflows.clock", field="reason", row_id=case.pk
    )


def _locked(clock: Clock) -> Clock:
    return Clock.objects.select_for_update().select_related("case__case_type").get(pk=clock.pk)


def clock_pause(*, clock: Clock, actor: User, reason: str) -> Clock:
    with transaction.atomic():
        clock = _locked(clock)
        if clock.stopped_on or clock.paused_on:
            raise ClockError("Only a running deadline can be paused.")
        clock.reason = _seal_reason(clock.case, clock, reason)
        clock.paused_on = timezone.localdate()
        clock.save(update_fields=["reason", "paused_on"])
        event_record(
            case=clock.case, code="clock.paused", actor=actor, payload={"clock": clock.kind}
        )
    return clock


def _days_between(start: dt.date, end: dt.date, *, working: bool) -> int:
    days = (end - start).days
    if not working:
        return days
    return sum(1 for n in range(1, days + 1) if is_working_day(start + dt.timedelta(days=n)))


def clock_resume(*, clock: Clock, actor: User) -> Clock:
    """Resume a paused clock: its due day moves on by the days it was paused."""
    with transaction.atomic():
        clock = _locked(clock)
        if clock.paused_on is None:
            raise ClockError("This deadline is not paused.")
        today = timezone.localdate()
        paused = _days_between(clock.paused_on, today, working=clock.working_days)
        clock.due_on = add_days(clock.due_on, paused, working=clock.working_days)
        clock.paused_on = None
        clock.save(update_fields=["due_on", "paused_on"])
        event_record(
            case=clock.case,
            code="clock.resumed",
            actor=actor,
            payload={"clock": clock.kind, "due_on": clock.due_on.isoformat()},
        )
    return clock


def clock_extend(*, clock: Clock, actor: User, days: int, reason: str) -> Clock:
    if not 1 <= days <= 365:
        raise ClockError("Extend by between 1 and 365 days.")
    with transaction.atomic():
        clock = _locked(clock)
        if clock.stopped_on:
            raise ClockError("A deadline that has stopped cannot be extended.")
        clock.reason = _seal_reason(clock.case, clock, reason)
        clock.due_on = add_days(clock.due_on, days, working=clock.working_days)
        clock.save(update_fields=["reason", "due_on"])
        event_record(
            case=clock.case,
            code="clock.extended",
            actor=actor,
            payload={"clock": clock.kind, "days": days, "due_on": clock.due_on.isoformat()},
        )
    return clock


def clocks_check(case: Case, today: dt.date | None = None) -> list[Clock]:
    """Record, once, each running clock that has passed its due day (for the reminder scan
    and the case page)."""
    today = today or timezone.localdate()
    clocks_ensure(case)
    overdue = list(
        Clock.objects.filter(
            case=case,
            stopped_on__isnull=True,
            paused_on__isnull=True,
            missed_recorded=False,
            due_on__lt=today,
        )
    )
    for clock in overdue:
        clock.missed_recorded = True
        clock.save(update_fields=["missed_recorded"])
        event_record(
            case=case,
            code="clock.overdue",
            payload={"clock": clock.kind, "due_on": clock.due_on.isoformat()},
        )
    return overdue
