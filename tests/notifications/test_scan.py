"""Which reminders a clock and an action get on which day, claimed once whatever runs."""

import datetime as dt

import pytest
import time_machine

from notifications.models import Reminder, ReminderLevel, ScanRun
from notifications.reminders import Enqueue, reminder_process
from tests.builders import make_handler
from tests.notifications.conftest import START
from workflows.services import case_record_action

D = dt.date


def _claims_by_day(run_scan, days):
    seen: dict[D, list[str]] = {}
    for n in range(days):
        day = START + dt.timedelta(days=n)
        result = run_scan(day)
        levels = sorted(
            Reminder.objects.filter(scan_id=result.run_id).values_list("level", flat=True)
        )
        if levels:
            seen[day] = levels
    return seen


@pytest.mark.slow
def test_the_acknowledgement_clock_gets_each_reminder_on_its_day(filed, run_scan):
    # Written out by hand. Due Monday 9 March; "soon" is 2 working days before (Thursday 5:
    # Friday, Monday); the lead hears after 3 working days overdue (Tuesday 10, Wednesday
    # 11, Thursday 12), the escalation contact after 10 (Monday 23). Nothing on other days.
    assert _claims_by_day(run_scan, 25) == {
        D(2026, 3, 5): ["soon"],
        D(2026, 3, 9): ["today"],
        D(2026, 3, 10): ["overdue"],
        D(2026, 3, 12): ["escalate_lead"],
        D(2026, 3, 23): ["escalate_contact"],
    }


@pytest.mark.slow
def test_an_action_gets_each_reminder_on_its_day(filed, run_scan, office):
    handler = make_handler(filed, "handler")
    with time_machine.travel(dt.datetime.combine(START, dt.time(9, tzinfo=dt.UTC)), tick=False):
        # The clock is acknowledged away so that only the action is reminded.
        from workflows.clocks import clock_stopped
        from workflows.models import Clock
        from workflows.spec import ClockKind

        acknowledge = Clock.objects.get(case=filed, kind=ClockKind.ACKNOWLEDGE)
        clock_stopped(acknowledge, case=filed, on=START, actor=None)
        case_record_action(
            case=filed, actor=handler, title="Call HR", owner=handler, due_on=D(2026, 3, 11)
        )
    # Due Wednesday 11: soon on Monday 9 (Tuesday, Wednesday), today, overdue on Thursday 12,
    # the lead on Monday 16 (Thursday, Friday, Monday), the contact on Wednesday 25.
    assert _claims_by_day(run_scan, 26) == {
        D(2026, 3, 9): ["soon"],
        D(2026, 3, 11): ["today"],
        D(2026, 3, 12): ["overdue"],
        D(2026, 3, 16): ["escalate_lead"],
        D(2026, 3, 25): ["escalate_contact"],
    }


@pytest.mark.slow
def test_a_scan_after_three_days_of_outage_sends_what_applies_now_once(filed, run_scan, queue):
    run_scan(D(2026, 3, 6))  # Friday: "soon" claimed, and its task runs
    assert list(Reminder.objects.values_list("level", flat=True)) == ["soon"]
    with time_machine.travel(dt.datetime(2026, 3, 6, 9, 1, tzinfo=dt.UTC), tick=False):
        assert reminder_process(queue.reminders.pop(), lambda pk: None) == "done"
    # Beat is down Saturday to Tuesday morning; the deadline (Monday) passed meanwhile.
    first = run_scan(D(2026, 3, 10))
    again = run_scan(D(2026, 3, 10))
    assert sorted(
        Reminder.objects.filter(scan_id=first.run_id).values_list("level", flat=True)
    ) == ["overdue"]  # never "today" for a day gone by
    assert again.claimed == 0
    assert len(queue.reminders) == 1
    assert Reminder.objects.count() == 2


@pytest.mark.slow
def test_an_outage_across_the_escalations_claims_each_level_once(filed, run_scan, queue):
    run_scan(D(2026, 3, 30))
    run_scan(D(2026, 3, 30))
    levels = sorted(Reminder.objects.values_list("level", flat=True))
    assert levels == ["escalate_contact", "escalate_lead", "overdue"]
    assert len(queue.reminders) == 3
    assert ScanRun.objects.count() == 2


def test_a_paused_stopped_or_closed_clock_is_not_reminded(filed, run_scan):
    from workflows.models import Clock

    clock = Clock.objects.get(case=filed)
    clock.paused_on = D(2026, 3, 3)
    clock.save(update_fields=["paused_on"])
    assert run_scan(D(2026, 3, 10)).claimed == 0


@pytest.mark.slow
def test_an_extended_deadline_is_reminded_again_for_its_new_day(filed, run_scan):
    from workflows.models import Clock

    run_scan(D(2026, 3, 9))
    clock = Clock.objects.get(case=filed)
    clock.due_on = D(2026, 3, 16)
    clock.save(update_fields=["due_on"])
    run_scan(D(2026, 3, 16))
    assert sorted(Reminder.objects.values_list("level", "due_on")) == [
        (ReminderLevel.TODAY, D(2026, 3, 9)),
        (ReminderLevel.TODAY, D(2026, 3, 16)),
    ]


@pytest.mark.slow
def test_a_lost_task_message_is_handed_over_again_later(filed, run_scan, queue):
    run_scan(D(2026, 3, 9))
    assert len(queue.reminders) == 1
    run_scan(D(2026, 3, 9))  # minutes later: not again
    assert len(queue.reminders) == 1
    Reminder.objects.update(enqueued_at=dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC))
    run_scan(D(2026, 3, 9))
    assert queue.reminders == [queue.reminders[0]] * 2
    # Its task runs on Wednesday, when "today" is past: it does nothing.
    with time_machine.travel(dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC), tick=False):
        assert reminder_process(queue.reminders[0], lambda pk: None) == "late"


@pytest.mark.slow
def test_a_broker_refusing_messages_loses_no_reminder(filed, run_scan, queue):
    def refuse(pk):
        raise ConnectionError("broker down")

    queue.enqueue = lambda: Enqueue(reminder=refuse, email=refuse, digest=refuse)
    first = run_scan(D(2026, 3, 9))  # the claims commit; handing them over fails
    assert first.claimed == 1
    del queue.enqueue
    run_scan(at=dt.datetime(2026, 3, 9, 9, 20, tzinfo=dt.UTC))  # the broker is back
    assert len(queue.reminders) == 1
