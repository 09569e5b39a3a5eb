"""Statutory clocks with a frozen clock: weekends, bank holidays, pauses, extensions, met/missed."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.utils import timezone

from cases.exceptions import CaseDataUnreadable
from cases.keys import case_cipher
from cases.models import CaseEvent
from tests.builders import make_case, make_case_type, make_handler, migrating
from workflows.calendar import add_days
from workflows.clocks import (
    ClockError,
    clock_extend,
    clock_pause,
    clock_resume,
    clocks_check,
    clocks_of,
)
from workflows.models import Clock
from workflows.services import case_transition
from workflows.spec import ClockKind


def _at(day: dt.date):
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())
    return time_machine.travel(noon, tick=False)


def test_working_days_skip_weekends_and_english_bank_holidays():
    friday = dt.date(2026, 12, 18)
    # Mon 21 to Thu 24, then Christmas (Fri), the weekend, Boxing Day observed (Mon 28).
    assert add_days(friday, 7, working=True) == dt.date(2026, 12, 31)
    assert add_days(friday, 7, working=False) == dt.date(2026, 12, 25)
    assert add_days(dt.date(2026, 8, 28), 1, working=True) == dt.date(
        2026, 9, 1
    )  # bank holiday 31 Aug


def test_the_region_is_configurable(settings):
    settings.SPEAKUP_HOLIDAYS_REGION = "SCT"
    from workflows import calendar

    calendar._bank_holidays.cache_clear()
    # 31 August is not a bank holiday in Scotland; 4 August is.
    assert add_days(dt.date(2026, 8, 28), 1, working=True) == dt.date(2026, 8, 31)
    calendar._bank_holidays.cache_clear()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("working", "due"), [(True, dt.date(2026, 12, 31)), (False, dt.date(2026, 12, 25))]
)
def test_the_acknowledgement_deadline_falls_on_the_right_day(working, due):
    case_type = make_case_type(acknowledge_within_days=7, deadlines_in_working_days=working)
    with _at(dt.date(2026, 12, 18)):
        case = make_case(case_type=case_type)
        (clock,) = clocks_of(case)
    assert (clock.kind, clock.due_on) == (ClockKind.ACKNOWLEDGE, due)


@pytest.mark.django_db
def test_acknowledging_in_time_is_recorded_as_met_and_starts_feedback():
    with _at(dt.date(2026, 11, 2)):
        case = make_case()
        handler = make_handler(case)
    with _at(dt.date(2026, 11, 6)):
        case_transition(case=case, name="acknowledge", actor=handler)
    ack = Clock.objects.get(case=case, kind=ClockKind.ACKNOWLEDGE)
    feedback = Clock.objects.get(case=case, kind=ClockKind.FEEDBACK)
    assert ack.met is True and ack.stopped_on == dt.date(2026, 11, 6)
    # Three calendar months from the acknowledgement (the Directive's words), not 90 days.
    assert feedback.started_on == dt.date(2026, 11, 6) and feedback.due_on == dt.date(2027, 2, 6)
    assert CaseEvent.objects.filter(case=case, code="clock.met").count() == 1


@pytest.mark.django_db
def test_acknowledging_late_is_recorded_as_missed():
    with _at(dt.date(2026, 11, 2)):
        case = make_case()
        handler = make_handler(case)
    with _at(dt.date(2026, 11, 12)):
        assert [c.kind for c in clocks_check(case)] == [ClockKind.ACKNOWLEDGE]
        assert clocks_check(case) == []  # recorded once
        case_transition(case=case, name="acknowledge", actor=handler)
    assert Clock.objects.get(case=case, kind=ClockKind.ACKNOWLEDGE).met is False
    codes = list(CaseEvent.objects.filter(case=case).values_list("code", flat=True))
    assert codes.count("clock.overdue") == 1 and "clock.missed" in codes


@pytest.mark.django_db
def test_an_outcome_stops_the_feedback_clock():
    with _at(dt.date(2026, 11, 2)):
        case = make_case()
        handler = make_handler(case)
        for step in ("acknowledge", "begin_assessment"):
            case = case_transition(case=case, name=step, actor=handler)
        case_transition(
            case=case, name="record_outcome", actor=handler, outcome="not_substantiated"
        )
    assert Clock.objects.get(case=case, kind=ClockKind.FEEDBACK).met is True


@pytest.mark.django_db
def test_pausing_and_extending_move_the_deadline_and_are_audited_with_a_sealed_reason():
    with _at(dt.date(2026, 11, 2)):
        case = make_case()
        handler = make_handler(case)
        (clock,) = clocks_of(case)
        assert clock.due_on == dt.date(2026, 11, 9)
        with pytest.raises(ClockError):
            clock_pause(clock=clock, actor=handler, reason=" ")
        clock_pause(clock=clock, actor=handler, reason="Waiting for the reporter's reply.")
        with pytest.raises(ClockError):
            clock_pause(clock=clock, actor=handler, reason="again")
    with _at(dt.date(2026, 11, 5)):
        clock = clock_resume(clock=clock, actor=handler)
    assert clock.due_on == dt.date(2026, 11, 12)
    with _at(dt.date(2026, 11, 6)):
        with pytest.raises(ClockError):
            clock_extend(clock=clock, actor=handler, days=0, reason="x")
        clock_extend(clock=clock, actor=handler, days=5, reason="Complex case.")
    clock.refresh_from_db()
    assert clock.due_on == dt.date(2026, 11, 17)
    cipher = case_cipher(case.pk)
    reason = cipher.open(
        clock.reason, model_label="workflows.clock", field="reason", row_id=clock.pk
    )
    assert reason == b"Complex case."
    # Bound to this clock's row: it opens neither as the case's nor as another row's reason.
    for other_row in (case.pk, clock.pk + 1):
        with pytest.raises(CaseDataUnreadable):
            cipher.open(
                clock.reason, model_label="workflows.clock", field="reason", row_id=other_row
            )
    codes = list(CaseEvent.objects.filter(case=case).values_list("code", flat=True))
    assert {"clock.paused", "clock.resumed", "clock.extended"} <= set(codes)
    assert clock.history.count() >= 4
    with pytest.raises(ClockError):
        clock_resume(clock=clock, actor=handler)


@pytest.mark.django_db
def test_a_case_type_without_deadlines_has_no_clocks():
    case = make_case(
        case_type=make_case_type(
            workflow="trend_only", acknowledge_within_days=None, feedback_within_months=None
        )
    )
    assert clocks_of(case) == []


@pytest.mark.django_db
def test_stage_limits_start_on_entering_a_stage_and_stop_on_leaving_it():
    case_type = make_case_type(
        workflow="bullying",
        acknowledge_within_days=None,
        feedback_within_months=None,
        # Each limit says its calendar; the case type's own setting does not decide it.
        deadlines_in_working_days=False,
        stage_limits={
            "initial_assessment": {"days": 10, "working": True},
            "formal_investigation": {"days": "oops", "working": True},
            "decision": 5,
        },
    )
    with _at(dt.date(2026, 12, 18)):
        case = make_case(case_type=case_type)
        handler = make_handler(case)
        case = case_transition(case=case, name="begin_initial_assessment", actor=handler)
    clock = Clock.objects.get(case=case, kind=ClockKind.STAGE, stage="initial_assessment")
    assert clock.due_on == dt.date(2027, 1, 6)  # 10 working days over Christmas and New Year
    with _at(dt.date(2027, 1, 4)):
        case_transition(case=case, name="open_formal_investigation", actor=handler)
    clock.refresh_from_db()
    assert clock.met is True and clock.stopped_on == dt.date(2027, 1, 4)
    # A limit that is not a number of days with its calendar starts no clock.
    assert not Clock.objects.filter(case=case, stage="formal_investigation").exists()


@pytest.mark.django_db
def test_the_migration_reseals_case_bound_reasons_to_their_own_row():
    """Reasons sealed before they were bound to their row open again after the migration,
    history rows included, and a second run changes nothing."""
    from django.apps import apps

    reseal = importlib.import_module("workflows.migrations.0003_reasons_bound_to_their_row").reseal
    case = make_case()
    handler = make_handler(case)
    (clock,) = clocks_of(case)
    clock_pause(clock=clock, actor=handler, reason="Waiting.")
    cipher = case_cipher(case.pk)
    old = cipher.seal(b"Waiting.", model_label="workflows.clock", field="reason", row_id=case.pk)
    Clock._base_manager.filter(pk=clock.pk).update(reason=old)
    clock.history.model._base_manager.filter(id=clock.pk).exclude(reason=None).update(reason=old)

    reseal(apps, migrating())
    reseal(apps, migrating())

    sealed_values = [Clock.objects.get(pk=clock.pk).reason] + [
        record.reason for record in clock.history.exclude(reason=None)
    ]
    assert len(sealed_values) >= 2
    for sealed in sealed_values:
        opened = cipher.open(sealed, model_label="workflows.clock", field="reason", row_id=clock.pk)
        assert opened == b"Waiting."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("working", "due_before", "due_after"),
    [
        # Received Wed 16 Dec 2026, 7 working days: 17, 18, 21, 22, 23, 24, then Christmas,
        # the weekend and Boxing Day observed (Mon 28) are skipped: due Tue 29 Dec. Paused on
        # Fri 18 with 5 working days left (21, 22, 23, 24, 29); resumed on Tue 29 they run
        # again from there: 30, 31, New Year's Day and the weekend skipped, 4, 5, 6 January.
        (True, dt.date(2026, 12, 29), dt.date(2027, 1, 6)),
        # In calendar days: due Wed 23 Dec, 5 days left at the pause, 29 Dec + 5 = 3 January.
        (False, dt.date(2026, 12, 23), dt.date(2027, 1, 3)),
    ],
)
def test_a_paused_clock_keeps_the_days_it_had_left_across_weekends_and_bank_holidays(
    working, due_before, due_after
):
    case_type = make_case_type(acknowledge_within_days=7, deadlines_in_working_days=working)
    with _at(dt.date(2026, 12, 16)):
        case = make_case(case_type=case_type)
        handler = make_handler(case)
        (clock,) = clocks_of(case)
    assert clock.due_on == due_before
    with _at(dt.date(2026, 12, 18)):
        clock_pause(clock=clock, actor=handler, reason="Waiting for the reporter.")
    with _at(dt.date(2026, 12, 29)):
        clock = clock_resume(clock=clock, actor=handler)
    assert clock.due_on == due_after
    assert Clock.objects.get(pk=clock.pk).due_on == due_after
