"""A case's next due day (``Case.next_due``, the earliest due day of its running clocks) is kept
by the database itself (migration workflows 0007): whatever starts, stops, pauses, resumes or
re-dates a clock, or moves or deletes one, moves it in the same transaction. The expected days
are written by hand; after every step every case is checked against its clocks as well."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Min, Model
from django.utils import timezone

import workflows.clocks
from cases.models import Case
from tests.builders import make_case, make_handler
from workflows.clocks import clock_extend, clock_pause, clock_resume, clocks_check, clocks_of
from workflows.models import Clock
from workflows.services import case_transition
from workflows.spec import ClockKind

pytestmark = pytest.mark.django_db


def _at(day: dt.date):
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())
    return time_machine.travel(noon, tick=False)


def _next_due(case: Case) -> dt.date | None:
    return Case.objects.values_list("next_due", flat=True).get(pk=case.pk)


def _every_case_agrees() -> None:
    """The database-level check: each case's column is the earliest due day of its running
    clocks, worked out here from the clocks themselves (none running: empty)."""
    running = Clock.objects.filter(stopped_on__isnull=True, paused_on__isnull=True)
    earliest = dict(
        running.order_by()
        .values("case_id")
        .annotate(day=Min("due_on"))
        .values_list("case_id", "day")
    )
    kept = dict(Case.objects.values_list("pk", "next_due"))
    assert kept == {pk: earliest.get(pk) for pk in kept}


# The clock services the walk below goes through (``clock_start`` and ``clock_stopped`` as a
# new case and its steps call them), and those that write no clock row's dates.
WALKED = {
    "clock_start",
    "clock_stopped",
    "clock_pause",
    "clock_resume",
    "clock_extend",
    "clocks_check",
}
NOT_DATES = {"period_of", "clocks_of", "clocks_locked"}


def test_every_clock_service_is_in_the_walk():
    """A new service that changes clocks fails here until the walk below goes through it."""
    public = {
        name
        for name, function in inspect.getmembers(workflows.clocks, inspect.isfunction)
        if function.__module__ == workflows.clocks.__name__ and not name.startswith("_")
    }
    assert public == WALKED | NOT_DATES


def test_every_clock_service_keeps_the_case_s_next_due_day():
    other = make_case()  # a bystander: nothing below may move its day
    with _at(dt.date(2026, 11, 2)):  # a Monday
        case = make_case()  # case_file: clock_start, acknowledge within 7 days
        handler = make_handler(case)
        assert _next_due(case) == dt.date(2026, 11, 9)
        (clock,) = clocks_of(case)
        clock_pause(clock=clock, actor=handler, reason="Waiting for the reporter's reply.")
        assert _next_due(case) is None  # nothing running
        _every_case_agrees()
    with _at(dt.date(2026, 11, 5)):
        clock = clock_resume(clock=clock, actor=handler)
        assert _next_due(case) == dt.date(2026, 11, 12)  # three days later
    with _at(dt.date(2026, 11, 6)):
        clock_extend(clock=clock, actor=handler, days=5, reason="Complex case.")
        assert _next_due(case) == dt.date(2026, 11, 17)
        _every_case_agrees()
    with _at(dt.date(2026, 11, 20)):
        assert [c.kind for c in clocks_check(case)] == [ClockKind.ACKNOWLEDGE]
        assert _next_due(case) == dt.date(2026, 11, 17)  # recorded as missed: still running
        # clock_stopped and clock_start: the acknowledgement stops, feedback starts (three
        # calendar months).
        case = case_transition(case=case, name="acknowledge", actor=handler)
        assert _next_due(case) == dt.date(2027, 2, 20)
        case = case_transition(case=case, name="begin_assessment", actor=handler)
        case_transition(
            case=case, name="record_outcome", actor=handler, outcome="not_substantiated"
        )
        assert _next_due(case) is None  # feedback given: nothing running
    _every_case_agrees()
    assert _next_due(other) == other.received_on + dt.timedelta(days=7)


def _execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _db(field_owner: type[Model], name: str, value: object) -> Any:
    return field_owner._meta.get_field(name).get_db_prep_value(value, connection)


def test_any_write_of_a_clock_moves_its_cases_day():
    """Hand-made writes too (a data migration, the purge's set-based statements, the
    benchmark's bulk inserts): the triggers see every row."""
    with _at(dt.date(2026, 11, 2)):
        first, second = make_case(), make_case()
    (clock,) = clocks_of(first)
    assert _next_due(first) == _next_due(second) == dt.date(2026, 11, 9)
    # Re-dated by hand.
    _execute(
        "UPDATE workflows_clock SET due_on = %s WHERE id = %s", [dt.date(2026, 12, 1), clock.pk]
    )
    assert _next_due(first) == dt.date(2026, 12, 1)
    # A second running clock, due sooner, then later than the first.
    _execute(
        "INSERT INTO workflows_clock (case_id, kind, stage, working_days, started_on, due_on,"
        " missed_recorded) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [_db(Clock, "case", first.pk), "stage", "received", False, dt.date(2026, 11, 2),
         dt.date(2026, 11, 20), False],
    )  # fmt: skip
    assert _next_due(first) == dt.date(2026, 11, 20)
    stage = Clock.objects.get(case=first, kind="stage")
    _execute(
        "UPDATE workflows_clock SET due_on = %s WHERE id = %s", [dt.date(2026, 11, 25), stage.pk]
    )
    assert _next_due(first) == dt.date(2026, 11, 25)
    # Moved to the other case: both cases' days move.
    _execute(
        "UPDATE workflows_clock SET case_id = %s WHERE id = %s",
        [_db(Clock, "case", second.pk), stage.pk],
    )
    assert (_next_due(first), _next_due(second)) == (dt.date(2026, 12, 1), dt.date(2026, 11, 9))
    # Stopped by hand, then deleted.
    _execute(
        "UPDATE workflows_clock SET stopped_on = %s WHERE case_id = %s AND kind = %s",
        [dt.date(2026, 11, 3), _db(Clock, "case", second.pk), "acknowledge"],
    )
    assert _next_due(second) == dt.date(2026, 11, 25)
    Clock.objects.filter(pk=stage.pk).delete()
    assert _next_due(second) is None
    Clock.objects.filter(pk=clock.pk).delete()
    assert _next_due(first) is None
    _every_case_agrees()


def test_a_case_written_after_its_clocks_gets_its_day():
    """Foreign keys are checked at commit, so a bulk load may write a clock before its case."""
    with _at(dt.date(2026, 11, 2)):
        model = make_case()
    new = uuid.uuid4()
    columns = [str(field.column) for field in Case._meta.concrete_fields]
    fresh = {"id": new, "reference": "ZZZZ-ZZZZ", "token_digest": None, "next_due": None}
    values = ["%s" if column in fresh else column for column in columns]
    with transaction.atomic():
        _execute(
            "INSERT INTO workflows_clock (case_id, kind, stage, working_days, started_on, due_on,"
            " missed_recorded) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [_db(Clock, "case", new), "acknowledge", "", False, dt.date(2026, 11, 2),
             dt.date(2026, 11, 16), False],
        )  # fmt: skip
        _execute(
            f"INSERT INTO cases_case ({', '.join(columns)})"  # noqa: S608 (names from the model)
            f" SELECT {', '.join(values)} FROM cases_case WHERE id = %s",
            [
                *(_db(Case, f.name, fresh[f.column]) for f in Case._meta.concrete_fields
                  if f.column in fresh),
                _db(Case, "id", model.pk),
            ],
        )  # fmt: skip
    assert Case.objects.get(pk=new).next_due == dt.date(2026, 11, 16)
    _every_case_agrees()
