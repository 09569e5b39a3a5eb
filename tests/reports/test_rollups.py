"""The rollups the reports read: exact after every kind of write, whoever makes it.

The expected tables are written here by hand for one case's life; after random sequences of
writes (services, the purge, bulk inserts, hand-made SQL) the rollups must equal plain GROUP
BYs over the rows (``reports.aggregates.rollup_expected``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.exceptions import CheckinClosed
from cases.models import Case, CheckinAnswer
from cases.services import case_attention_clear, case_categorise, case_checkin_record
from permissions.models import StaffEvent
from reports.models import NEVER
from reports.rollups import ROLLUPS, rollup_differences, rollup_held
from retention.purge import purge_due_cases
from tests.builders import STEP_DATA, make_case_type
from tests.reports.helpers import _at, category, trend_case, trend_type, unit
from tests.reports.test_aggregates import table  # noqa: F401  (fixture: a table by hand)
from workflows.clocks import clocks_check
from workflows.models import Clock, transition_table
from workflows.services import case_file, case_transition

D = dt.date
JAN, FEB, MAR = D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)


def _exact() -> None:
    assert {name: found for name, found in rollup_differences().items() if found} == {}


@pytest.fixture
def handler(django_user_model):
    return django_user_model.objects.create(username="rollup-handler")


def _of(case_type: Any) -> dict[str, dict[tuple[Any, ...], int]]:
    """The rollups' rows of one case type."""
    return {
        name: {key: n for key, n in rows.items() if key[0] == case_type.pk}
        for name, rows in rollup_held().items()
    }


def _set(case: Case, **values: Any) -> None:
    """A write no service makes (moving a case to another unit has none): a plain UPDATE."""
    models.QuerySet(model=Case).filter(pk=case.pk).update(**values)


def test_one_cases_life_in_the_rollups_written_by_hand(db, handler):
    one = trend_type(checkin_after_weeks=1)
    a, b = category(one, "a"), category(one, "b")
    north, south = unit("north"), unit("south")
    t, n, s = one.pk, north.pk, south.pk

    case = trend_case(one, D(2026, 1, 5), category=a, org_unit=north, reporter_named=True)
    held = _of(one)
    assert held["reports_receivedrollup"] == {(t, n, JAN, a.pk, "received"): 1}
    assert held["reports_namedrollup"] == {(t, n, JAN, True): 1}
    assert held["reports_spanrollup"] == {(t, n, JAN, NEVER, "", NEVER): 1}
    assert held["reports_daysrollup"] == {}
    assert held["reports_clockrollup"] == {}  # the acknowledgement clock runs: not decided

    with _at(D(2026, 1, 9)):  # acknowledged after 4 days, due on the 12th
        case = case_transition(case=case, name="review", actor=None)
    held = _of(one)
    assert held["reports_receivedrollup"] == {(t, n, JAN, a.pk, "reviewed"): 1}
    assert held["reports_daysrollup"] == {(t, n, "acknowledge", JAN, 4): 1}
    assert held["reports_clockrollup"] == {(t, n, JAN, "acknowledge", True): 1}

    case = case_categorise(case=case, actor=handler, category=b)
    assert _of(one)["reports_receivedrollup"] == {(t, n, JAN, b.pk, "reviewed"): 1}

    _set(case, org_unit=south)  # the case and its clocks move to the south
    held = _of(one)
    assert held["reports_receivedrollup"] == {(t, s, JAN, b.pk, "reviewed"): 1}
    assert held["reports_namedrollup"] == {(t, s, JAN, True): 1}
    assert held["reports_spanrollup"] == {(t, s, JAN, NEVER, "", NEVER): 1}
    assert held["reports_daysrollup"] == {(t, s, "acknowledge", JAN, 4): 1}
    assert held["reports_clockrollup"] == {(t, s, JAN, "acknowledge", True): 1}

    with _at(D(2026, 2, 20)):  # 46 days after receipt
        case = case_transition(case=case, name="close", actor=None)
    with _at(D(2026, 3, 10)):  # the check-in, a week after closure: "yes"
        case = case_checkin_record(case=case, answer=CheckinAnswer.YES, message="")
    after_checkin = {
        "reports_receivedrollup": {(t, s, JAN, b.pk, "closed"): 1},
        "reports_namedrollup": {(t, s, JAN, True): 1},
        "reports_spanrollup": {(t, s, JAN, FEB, "", MAR): 1},
        "reports_daysrollup": {
            (t, s, "acknowledge", JAN, 4): 1,
            (t, s, "close", FEB, 46): 1,
        },
        "reports_clockrollup": {(t, s, JAN, "acknowledge", True): 1},
    }
    assert _of(one) == after_checkin

    # A second case, unplaced: its clock recorded as missed, then stopped late.
    other = trend_case(one, D(2026, 1, 20))
    clocks_check(other, today=D(2026, 2, 1))  # due on 27 January
    assert _of(one)["reports_clockrollup"][(t, 0, JAN, "acknowledge", False)] == 1
    with _at(D(2026, 2, 2)):
        other = case_transition(case=other, name="review", actor=None)
    held = _of(one)
    assert held["reports_clockrollup"] == {
        (t, s, JAN, "acknowledge", True): 1,
        (t, 0, JAN, "acknowledge", False): 1,
    }
    assert held["reports_daysrollup"][(t, 0, "acknowledge", FEB, 13)] == 1
    assert held["reports_receivedrollup"][(t, 0, JAN, 0, "reviewed")] == 1

    # The purge cuts the first case's dates to their months and keeps the days: no count moves.
    case_attention_clear(case=case, actor=handler)
    before = _of(one)
    assert purge_due_cases(today=D(2027, 4, 1)).purged == 1
    assert Case.objects.get(pk=case.pk).received_on == JAN
    assert _of(one) == before
    _exact()


# --- When the update triggers fire ------------------------------------------------------------

_0004 = importlib.import_module("reports.migrations.0004_rollup_update_when_keys")


def _fires(source: str, row: models.Model, **values: Any) -> bool:
    """Whether the update trigger's condition holds for ``row`` changed by ``values``: the
    condition of migration 0004 evaluated with the row as it was (a copy in a temporary table)
    as OLD and as it now is as NEW. The row is changed back afterwards."""
    model = type(row)
    db_table = model._meta.db_table
    pk = model._meta.pk.get_db_prep_value(row.pk, connection)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE was AS SELECT * FROM {db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        models.QuerySet(model=model).filter(pk=row.pk).update(**values)
        condition = _0004.keys_changed(connection.vendor, source, old="was", new="now")
        cursor.execute(
            f"SELECT CASE WHEN {condition} THEN 1 ELSE 0 END FROM was, {db_table} now"  # noqa: S608
            " WHERE now.id = was.id"
        )
        (fired,) = cursor.fetchone()
        cursor.execute("DROP TABLE was")
        models.QuerySet(model=model).filter(pk=row.pk).update(
            **{name: getattr(row, name) for name in values}
        )
    return bool(fired)


def test_the_update_triggers_fire_only_when_a_key_can_move(db):
    """Written by hand: each change to a closed case and its acknowledgement clock, and whether
    a count can move (so whether the trigger must run)."""
    one = trend_type()
    a, b = category(one, "a"), category(one, "b")
    north = unit("north")
    case = trend_case(
        one,
        D(2026, 1, 5),
        reviewed=D(2026, 1, 9),
        closed=D(2026, 3, 10),
        category=a,
        org_unit=north,
    )
    case = Case.objects.get(pk=case.pk)
    assert (case.days_to_close, case.closed_on) == (None, D(2026, 3, 10))  # 64 days
    case_changes: list[tuple[dict[str, Any], bool]] = [
        # The purge's cut: months kept, the days measured kept in the stub.
        (dict(received_on=JAN, closed_on=MAR, days_to_close=64), False),
        (dict(received_on=D(2026, 1, 31)), True),  # same month, but the days closed in move
        (dict(received_on=D(2026, 1, 31), days_to_close=64), False),
        (dict(received_on=FEB, days_to_close=64), True),  # another month
        (dict(closed_on=D(2026, 3, 12)), True),  # 66 days
        (dict(closed_on=D(2026, 3, 31), days_to_close=64), False),
        (dict(closed_on=None), True),
        (dict(days_to_close=64), False),  # what the dates measure already
        (dict(days_to_close=65), True),
        (dict(state="received"), True),
        (dict(category=b), True),
        (dict(category=None), True),
        (dict(org_unit=None), True),
        (dict(reporter_named=True), True),
        (dict(outcome="upheld"), True),
        (dict(reopened_by_checkin_on=D(2026, 4, 2)), True),
    ]
    assert [(values, _fires("case", case, **values)) for values, _ in case_changes] == case_changes

    _set(case, reopened_by_checkin_on=D(2026, 4, 2))
    case.refresh_from_db()
    assert _fires("case", case, reopened_by_checkin_on=D(2026, 4, 30)) is False
    assert _fires("case", case, reopened_by_checkin_on=D(2026, 5, 1)) is True

    clock = Clock.objects.get(case=case, kind="acknowledge")
    assert (clock.started_on, clock.stopped_on, clock.days_taken, clock.met) == (
        D(2026, 1, 5),
        D(2026, 1, 9),
        None,
        True,
    )
    due = clock.due_on
    clock_changes: list[tuple[dict[str, Any], bool]] = [
        (dict(started_on=JAN, stopped_on=JAN, due_on=due.replace(day=1), days_taken=4), False),
        (dict(stopped_on=D(2026, 1, 10)), True),  # 5 days
        (dict(stopped_on=D(2026, 1, 10), days_taken=4), False),
        (dict(stopped_on=FEB, days_taken=4), True),  # another month
        (dict(stopped_on=None), True),
        (dict(started_on=D(2026, 1, 6)), True),  # 3 days
        (dict(due_on=FEB), True),
        (dict(met=False), True),
        (dict(met=None), True),
        (dict(missed_recorded=True), False),  # decided already: no count moves
        (dict(kind="feedback"), True),
    ]
    assert [(v, _fires("clock", clock, **v)) for v, _ in clock_changes] == clock_changes
    models.QuerySet(model=Clock).filter(pk=clock.pk).update(met=None, stopped_on=None)
    clock.refresh_from_db()
    assert _fires("clock", clock, missed_recorded=True) is True  # now counted as missed
    _exact()


# --- Random sequences of writes -------------------------------------------------------------


class World:
    """Three case types (one per workflow), categories, units and a handler to act."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.types = [
            trend_type(checkin_after_weeks=1),
            make_case_type(workflow="whistleblowing", checkin_after_weeks=1),
            make_case_type(workflow="bullying", acknowledge_within_days=5),
        ]
        self.categories = {
            t.pk: [category(t, f"c{t.pk}-{i}") for i in range(2)] for t in self.types
        }
        self.units = [None, unit(f"u-{uuid.uuid4().hex[:8]}"), unit(f"u-{uuid.uuid4().hex[:8]}")]
        self.cases: list[Any] = []
        self.bulk: list[uuid.UUID] = []

    def case(self, pick: int) -> Any:
        """One of the cases filed through the services, or None once purged (a stub)."""
        case = Case.objects.get(pk=self.cases[pick % len(self.cases)])
        return None if case.token_digest is None else case


def _day(n: int) -> dt.date:
    return D(2025, 1, 1) + dt.timedelta(days=n % 700)


def op_file(w: World, a: int, b: int) -> None:
    case_type = w.types[a % 3]
    day = _day(b)
    with _at(day):
        case, _ = case_file(
            case_type=case_type,
            answers={"what_happened": "x"},
            received_on=day,
            category=[None, *w.categories[case_type.pk]][b % 3],
            org_unit=w.units[a % 3],
            reporter_named=bool(b % 2),
        )
    w.cases.append(case.pk)


def op_step(w: World, a: int, b: int) -> None:
    """A step of the case's workflow from where it is (appeals, reopening and closing
    included), taken some days after receipt."""
    case = w.case(a)
    if case is None:
        return
    steps = [r.name for r in transition_table(case.case_type.workflow) if r.source == case.state]
    if not steps:
        return
    with _at(max(case.received_on, D(2025, 1, 1)) + dt.timedelta(days=b % 40)):
        case_transition(case=case, name=steps[b % len(steps)], actor=None, **STEP_DATA)


def op_categorise(w: World, a: int, b: int) -> None:
    case = w.case(a)
    if case is None:
        return
    case_categorise(case=case, actor=w.handler, category=w.categories[case.case_type_id][b % 2])


def op_move(w: World, a: int, b: int) -> None:
    models.QuerySet(model=Case).filter(pk=w.cases[a % len(w.cases)]).update(org_unit=w.units[b % 3])


def op_checkin(w: World, a: int, b: int) -> None:
    case = w.case(a)
    if case is None or case.closed_on is None:
        return
    answer = [CheckinAnswer.YES, CheckinAnswer.NO][b % 2]
    with _at(case.closed_on + dt.timedelta(days=8 + b % 30)), contextlib.suppress(CheckinClosed):
        case_checkin_record(case=case, answer=answer, message="")


def op_clocks(w: World, a: int, b: int) -> None:
    clocks_check(Case.objects.get(pk=w.cases[a % len(w.cases)]), today=_day(b))


def op_purge(w: World, a: int, b: int) -> None:
    for pk in Case.objects.exclude(attention_since=None).values_list("pk", flat=True)[:2]:
        case_attention_clear(case=Case.objects.get(pk=pk), actor=w.handler)
    purge_due_cases(today=D(2028, 6, 1))


def op_bulk(w: World, a: int, b: int) -> None:
    """Rows as the benchmark's generator writes them: set-based inserts, no service."""
    from bench.data import insert_rows

    ids = [uuid.uuid4() for _ in range(1 + a % 3)]
    case_type = w.types[b % 3]
    received = _day(a + b)
    closed = received + dt.timedelta(days=b % 50) if b % 2 else None
    # The clocks first, their cases after: foreign keys are checked at commit.
    insert_rows(
        Clock,
        [
            {
                "case_id": pk,
                "kind": "acknowledge",
                "stage": "",
                "started_on": received,
                "due_on": received + dt.timedelta(days=7),
                "stopped_on": received + dt.timedelta(days=b % 9),
                "met": b % 9 <= 7,
                "reason": None,
            }
            for pk in ids
        ],
    )
    insert_rows(
        Case,
        [
            {
                "id": pk,
                "reference": pk.hex[:9].upper(),
                "case_type_id": case_type.pk,
                "category_id": w.categories[case_type.pk][a % 2].pk,
                "org_unit_id": None if w.units[a % 3] is None else w.units[a % 3].pk,
                "state": "closed" if closed else "received",
                "received_on": received,
                "closed_on": closed,
                "reporter_named": bool(a % 2),
                "outcome": "substantiated" if closed else "",
                "answers": b"",
                "token_digest": None,  # as stubs: never purged, so removable below
            }
            for pk in ids
        ],
    )
    w.bulk += ids


def op_raw(w: World, a: int, b: int) -> None:
    """Hand-made SQL: a bulk case removed (the case row before its clocks, or after), or
    a clock's decision and days changed."""
    with connection.cursor() as cursor:
        if w.bulk and a % 2:
            pk = w.bulk.pop(b % len(w.bulk))
            value = pk.hex if connection.vendor == "sqlite" else pk
            first, then = (
                ("cases_case", "workflows_clock") if b % 2 else ("workflows_clock", "cases_case")
            )
            for table in (first, then):
                column = "id" if table == "cases_case" else "case_id"
                cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [value])  # noqa: S608
        else:
            cursor.execute(
                "UPDATE workflows_clock SET met = %s, days_taken = %s, missed_recorded = %s"
                " WHERE id IN (SELECT id FROM workflows_clock ORDER BY id LIMIT 1 OFFSET %s)",
                [[True, False, None][b % 3], a % 20, bool(b % 2), a % 7],
            )


OPS = [
    op_file,
    op_step,
    op_step,
    op_categorise,
    op_move,
    op_checkin,
    op_clocks,
    op_purge,
    op_bulk,
    op_raw,
]


def _run(world: World, ops: list[tuple[int, int, int]]) -> None:
    with transaction.atomic():
        op_file(world, 0, 0)
        for which, a, b in ops:
            OPS[which % len(OPS)](world, a, b)
            _exact()
        transaction.set_rollback(True)


def test_a_fixed_sequence_of_every_kind_of_write_keeps_the_rollups_exact(db, handler):
    world = World(handler)
    _run(world, [(i, 3 * i + 1, 7 * i + 2) for i in range(len(OPS))])


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, 99), st.integers(0, 999), st.integers(0, 999)),
        min_size=3,
        max_size=25,
    )
)
def test_random_writes_keep_the_rollups_equal_to_a_raw_group_by(db, handler, ops):
    _run(World(handler), ops)


# --- The check, the rebuild, the guards ----------------------------------------------------


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_check_finds_a_wrong_count_and_the_rebuild_mends_it_audited():
    from cases.dbroles import connected_as_owner

    trend_case(trend_type(), D(2026, 1, 5))
    trend_case(trend_type(), D(2026, 2, 5))
    call_command("report_rollups")
    with connected_as_owner() as owner, owner.cursor() as cursor:  # none but the owner may
        cursor.execute("UPDATE reports_namedrollup SET n = n + 2")
        cursor.execute("DELETE FROM reports_receivedrollup")
    wrong = rollup_differences()
    assert {name: len(found) for name, found in wrong.items() if found} == {
        "reports_namedrollup": 2,
        "reports_receivedrollup": 2,
    }
    with pytest.raises(CommandError, match="4 count"):
        call_command("report_rollups")
    call_command("report_rollups", "--rebuild")
    _exact()
    event = StaffEvent.objects.get(code="report.rollups_rebuilt")
    assert event.payload == {"corrected": 4}


def test_a_flush_in_any_order_leaves_no_count(db):
    """SQLite's flush deletes every table's rows in no set order, and fires a row's triggers
    in no set order either: the rollups first, then the cases, then their clocks, must still
    leave no count behind (a count of -1 left by one test failed the next one's check).
    PostgreSQL's flush is a TRUNCATE, which its own trigger answers."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL flushes with TRUNCATE (tested by the transactional tests)")
    kind = trend_type()
    for day in (D(2026, 1, 5), D(2026, 2, 5)):
        trend_case(kind, day)
    assert any(rollup_held().values())
    left: dict[str, Any] = {}

    class Undo(Exception):
        """Put the rows back: foreign keys are checked when the test ends."""

    with contextlib.suppress(Undo), transaction.atomic(), connection.cursor() as cursor:
        for table in ROLLUPS:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
        cursor.execute("DELETE FROM cases_case")
        cursor.execute("DELETE FROM workflows_clock")
        left = {name: rows for name, rows in rollup_held().items() if rows}
        raise Undo
    assert left == {}


def test_the_triggers_are_in_place_after_every_migration(db):
    """A migration that remakes cases_case or workflows_clock on SQLite drops their
    triggers: this names every one that must exist."""
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'reports_rollup_%'"
    else:
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'reports_rollup_%'"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        found = {name for (name,) in cursor.fetchall()}
    expected = {
        f"reports_rollup_{s}_{op}"
        for s in ("case", "clock")
        for op in ("insert", "update", "delete")
    }
    if connection.vendor == "postgresql":
        expected |= {"reports_rollup_case_truncate", "reports_rollup_clock_truncate"}
    else:
        expected |= {"reports_rollup_case_emptied"}
    assert found == expected


@pytest.mark.postgres
def test_the_applications_role_may_read_the_rollups_but_not_write_them(db):
    from django.db.utils import ProgrammingError

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM reports_receivedrollup")
        for sql in (
            "UPDATE reports_receivedrollup SET n = n + 1",
            "DELETE FROM reports_spanrollup",
            "INSERT INTO reports_namedrollup VALUES (1, 0, '2026-01-01', false, 1)",
            "ALTER TABLE cases_case DISABLE TRIGGER reports_rollup_case_insert",
        ):
            with pytest.raises(ProgrammingError), transaction.atomic():
                cursor.execute(sql)


# --- The reads answer what the GROUP BYs over the rows answer ---------------------------------


def test_each_read_from_the_rollups_equals_its_namesake_over_the_case_rows(table):  # noqa: F811
    from reports import aggregates, rollups
    from reports.aggregates import Dim, Scope

    ids = (table.one.pk, table.two.pk)
    scopes = [
        Scope(D(2026, 1, 1), D(2026, 4, 1), ids),
        Scope(D(2026, 2, 1), D(2026, 3, 1), ids),
        Scope(D(2026, 1, 1), D(2027, 1, 1), (table.one.pk,), table.south.pk),
        Scope(D(2025, 1, 1), D(2026, 1, 1), ids),
    ]
    shapes: list[list[Dim]] = [
        ["month", "category", "stage"],
        ["unit", "named"],
        ["category"],
        ["year", "stage"],
    ]
    for scope in scopes:
        for by in shapes:
            assert rollups.received_counts(scope, by) == aggregates.case_counts(
                scope, "received", by
            ), (scope, by)
        for grain in ("month", "quarter", "year"):
            assert rollups.clock_compliance(scope, grain) == aggregates.clock_compliance(
                scope, grain
            )
        took = rollups.durations(scope)
        for kind in ("acknowledge", "close"):
            expected = aggregates.durations(scope, kind, portable=True)
            assert took[kind].keys() == expected.keys()
            for type_id, (n, p50, p90) in expected.items():
                got_n, got_p50, got_p90 = took[kind][type_id]
                assert got_n == n
                assert got_p50 == pytest.approx(p50)
                assert got_p90 == pytest.approx(p90)
    spans = {f"s{i}": scope for i, scope in enumerate(scopes[:2])}
    assert rollups.span_counts(spans) == aggregates.span_counts(spans)
    with pytest.raises(ValueError, match="whole months"):
        rollups.received_counts(Scope(D(2026, 1, 2), D(2026, 2, 1), ids), ["month"])


@pytest.mark.slow  # seeds the demonstration data through the services
def test_the_demo_seeding_and_the_benchmarks_bulk_rows_keep_the_rollups_exact(db):
    from bench import data

    call_command("seed_demo", scale=0.1, stdout=io.StringIO())
    _exact()
    assert rollup_held()["reports_receivedrollup"]  # the demo's cases are counted
    data.skeleton_cases(200, handler_share=0)
    _exact()
