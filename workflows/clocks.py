"""Statutory clocks: the only module that starts, pauses, extends and stops them.

Whistleblowing (EU Directive 2019/1937): acknowledge within 7 days of receipt, give feedback
within 3 months of acknowledging. Each case type sets its own lengths: days (calendar or
working days) or, for feedback, calendar months; each per-stage limit says its own calendar.
Which step starts and stops which clock is declared by its workflow (``workflows/machines``);
the acknowledgement clock starts when the case is filed, and a closed case keeps no running
clock. Every pause, resumption and extension is audited with a reason; met or missed is
recorded on the clock and in the audit record. Reading a case's clocks never writes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases.audit import Event, event_record
from cases.exceptions import SpeakUpError
from cases.history import HistoryRow, history_save
from cases.keys import case_cipher
from cases.models import Case
from permissions.access import case_for_user
from permissions.compiled import CompiledRead, Slot
from permissions.predicates import may_change_deadline
from permissions.roles import CasePerm
from workflows.calendar import Period, add_period, is_working_day
from workflows.models import Clock
from workflows.spec import ClockKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ClockError(SpeakUpError):
    message = "That change to the deadline is not possible."


def period_of(case: Case, kind: ClockKind, stage: str = "") -> Period | None:
    """How long the case type gives for ``kind`` (and ``stage``); ``None`` when it sets none."""
    case_type = case.case_type
    unit = "working_days" if case_type.deadlines_in_working_days else "days"
    if kind == ClockKind.ACKNOWLEDGE:
        days = case_type.acknowledge_within_days
        return Period(days, unit) if days else None
    if kind == ClockKind.FEEDBACK:
        if case_type.feedback_within_months:
            return Period(case_type.feedback_within_months, "months")
        days = case_type.feedback_within_days
        return Period(days, unit) if days else None
    limit = (case_type.stage_limits or {}).get(stage)
    if isinstance(limit, dict):
        days, working = limit.get("days"), limit.get("working")
        if isinstance(days, int) and days > 0 and isinstance(working, bool):
            return Period(days, "working_days" if working else "days")
    return None


def clock_start(
    *,
    case: Case,
    kind: ClockKind,
    on: dt.date,
    stage: str = "",
    history_date: dt.datetime | None = None,
    absent: bool = False,
    history: list[HistoryRow] | None = None,
) -> Clock | None:
    """Start ``kind`` for ``case`` from ``on`` (idempotent: a started clock is kept).
    ``history_date`` dates the new clock's history row (a reporter's action: to the day).

    ``absent`` says the caller holds the case's row lock (or created the case in this
    transaction) and found no clock of this kind: the clock is inserted straight away, with no
    look first and no savepoint. Clocks start only under the case's lock (a step) or with a
    new case, so none can have started meanwhile; were one to, the unique constraint would
    fail the caller's transaction rather than make two. With ``absent``, given ``history``,
    the new clock's history row is added to it for ``cases.history.history_write``."""
    period = period_of(case, kind, stage)
    if period is None:
        return None
    clock = Clock(
        case=case,
        kind=kind,
        stage=stage,
        started_on=on,
        working_days=period.unit == "working_days",
        due_on=add_period(on, period),
    )
    clock._history_date = history_date or timezone.now()  # type: ignore[attr-defined]
    if absent:
        _save(clock, history, "+", force_insert=True)
        return clock
    found = Clock.objects.filter(case=case, kind=kind, stage=stage).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            clock.save(force_insert=True)
    except IntegrityError:  # started at the same moment by another request
        return Clock.objects.get(case=case, kind=kind, stage=stage)
    return clock


def _save(clock: Clock, history: list[HistoryRow] | None, kind: str, **how: Any) -> None:
    """Save ``clock``; its history row now (django-simple-history's signal), or, given
    ``history``, later with the others of the same step (``cases.history.history_write``)."""
    if history is None:
        clock.save(**how)
    else:
        history_save(clock, history, kind, **how)


def _clocks_read(key: object, *, case_id: uuid.UUID) -> QuerySet[Clock]:
    return Clock.objects.filter(case_id=case_id)


_CASE_CLOCKS = CompiledRead(
    Clock,
    _clocks_read,
    slots={"case_id": Slot(Case._meta.pk, uuid.UUID("c10c0c10-c0de-0000-0000-0000000c10c5"))},
)


def clocks_locked(case: Case) -> list[Clock]:
    """The clocks of ``case``, which the caller holds under its row lock (a step): the read
    compiled once (``permissions.compiled``), as a step reads them every time. Reads only."""
    clocks: list[Clock] = _CASE_CLOCKS.all("clocks", case_id=case.pk)
    return clocks


def clocks_of(case: Case) -> list[Clock]:
    """The case's clocks, oldest first. Reads only."""
    return list(
        Clock.objects.filter(case=case)
        .select_related("case__case_type")
        .order_by("started_on", "kind", "stage")
    )


def clock_stopped(
    clock: Clock,
    *,
    case: Case,
    on: dt.date,
    actor: User | None,
    events: list[Event] | None = None,
    history: list[HistoryRow] | None = None,
) -> Clock:
    """Stop ``clock``, which the caller read as running while holding the case's lock: met if
    stopped on or before the due day. Audited once: ``clock.met`` or ``clock.missed`` is
    recorded here, or, given ``events``, added to that list, which the caller records with
    the rest of its change (``cases.audit.events_record``) in the same transaction. Given
    ``history``, the clock's history row is added to it (``cases.history.history_write``)."""
    clock.stopped_on = on
    clock.met = on <= clock.due_on
    _save(clock, history, "~", update_fields=["stopped_on", "met"])
    event = Event(
        code="clock.met" if clock.met else "clock.missed",
        actor=actor,
        payload={"clock": ClockKind(clock.kind).value, "due_on": clock.due_on.isoformat()},
    )
    if events is None:
        event_record(case=case, code=event.code, actor=event.actor, payload=event.payload)
    else:
        events.append(event)
    return clock


def _seal_reason(clock: Clock, reason: str) -> bytes:
    """The reason, sealed with the case's key and bound to this clock's own row."""
    text = reason.strip()
    if not text:
        raise ClockError("Give a reason.")
    return case_cipher(clock.case_id).seal(
        text[:2000].encode(), model_label="workflows.clock", field="reason", row_id=clock.pk
    )


def _may_change(clock: Clock, actor: User) -> None:
    """The gate, then the rule: a handler working the case (``may_change_deadline``).
    ``CaseNotFound`` for a case the actor does not work, ``ClockError`` for the wrong role."""
    case = case_for_user(actor, clock.case_id, CasePerm.WORK, action="deadline", audit=False)
    if not may_change_deadline(actor, case):
        raise ClockError("Only a handler can change a deadline.")


def _locked(clock: Clock) -> Clock:
    return Clock.objects.select_for_update().select_related("case__case_type").get(pk=clock.pk)


def clock_pause(*, clock: Clock, actor: User, reason: str) -> Clock:
    """Pause a running clock, with a reason (sealed). Handlers working the case only."""
    _may_change(clock, actor)
    with transaction.atomic():
        clock = _locked(clock)
        if clock.stopped_on or clock.paused_on:
            raise ClockError("Only a running deadline can be paused.")
        clock.reason = _seal_reason(clock, reason)
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


def _unit(clock: Clock) -> str:
    return "working_days" if clock.working_days else "days"


def clock_resume(*, clock: Clock, actor: User) -> Clock:
    """Resume a paused clock: its due day moves on by the days it was paused. Handlers
    working the case only."""
    _may_change(clock, actor)
    with transaction.atomic():
        clock = _locked(clock)
        if clock.paused_on is None:
            raise ClockError("This deadline is not paused.")
        today = timezone.localdate()
        paused = _days_between(clock.paused_on, today, working=clock.working_days)
        clock.due_on = add_period(clock.due_on, Period(paused, _unit(clock)))
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
    """Move a clock's due day on by ``days``, with a reason (sealed). Handlers working the
    case only."""
    _may_change(clock, actor)
    if not 1 <= days <= 365:
        raise ClockError("Extend by between 1 and 365 days.")
    with transaction.atomic():
        clock = _locked(clock)
        if clock.stopped_on:
            raise ClockError("A deadline that has stopped cannot be extended.")
        clock.reason = _seal_reason(clock, reason)
        clock.due_on = add_period(clock.due_on, Period(days, _unit(clock)))
        clock.save(update_fields=["reason", "due_on"])
        event_record(
            case=clock.case,
            code="clock.extended",
            actor=actor,
            payload={"clock": clock.kind, "days": days, "due_on": clock.due_on.isoformat()},
        )
    return clock


def clocks_check(case: Case, today: dt.date | None = None) -> list[Clock]:
    """Record, once, each running clock that has passed its due day (for the reminder scan)."""
    today = today or timezone.localdate()
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
