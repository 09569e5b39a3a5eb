"""B7: the reminder scan over open cases of which 1% are due, against raw SQL selecting the
same due ids and inserting the same claim rows; then two scans at once, which must claim
each reminder once.

The item makes its own population, set-based in SQL (``open_cases``): ``context.scale`` open
cases (ids beginning ``b7000000``, references beginning ``0``, which the skeleton never
uses), each with an acknowledgement clock met long ago and a running feedback clock. One
feedback clock in 100 is due on the scan's day, a quarter each due soon, today, just overdue
and long overdue (which also escalates to the triage lead); the others fall due weeks later.

The scan's day is ``SCAN_DAY``, 800 days before the skeleton's: every skeleton case was
received in the 730 days before that, so its clocks, running or not, fall due after anything
the scan looks for, and the due 1% is exactly this item's. Every timed run finds the same
work: ``prepare`` (untimed) removes the claims the run before made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone

from bench.data import date_plus_sql, numbers_sql, padded_sql, uuid_sql
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.models import Case, CaseType
from notifications.models import Reminder, ScanRun
from notifications.reminders import Enqueue, level_days, scan
from workflows import registry

SCAN_DAY = dt.date(2024, 9, 18)  # a Wednesday, 803 days before bench.data.TODAY
ID_PREFIX = "b7000000"
REFERENCE_PREFIX = "#"  # in no generated reference (letters, digits, a dash)
DUE_EVERY = 100  # one case in 100 has a deadline due
# The due ones, by (case number / DUE_EVERY) % 4: their feedback clock's due day, from the
# scan's day. Tomorrow is "soon"; yesterday is overdue by one working day; four weeks ago
# is overdue and past the triage lead's escalation (three working days).
DUE_OFFSETS = (1, 0, -1, -28)
TIME_LIMIT_SECONDS = 5.0


def open_cases(n: int) -> int:
    """Make ``n`` open cases of this item's (fewer if some exist), spread over the case types
    round-robin, with their clocks, in three statements. Returns how many were made."""
    present = Case.objects.filter(reference__startswith=REFERENCE_PREFIX).count()
    if present >= n:
        return 0
    types = list(CaseType.objects.order_by("pk"))
    if not types:
        raise RuntimeError("B7 needs case types: run bench.data.configuration() first")
    first, last, i = present + 1, n, "s.i"

    def by_type(values: list[str]) -> str:
        arms = " ".join(f"WHEN {k} THEN {v}" for k, v in enumerate(values))
        return f"CASE ({i} % {len(types)}) {arms} END"

    states = [_working_state(t.workflow) for t in types]
    case_id = uuid_sql(ID_PREFIX, i)
    received = date_plus_sql(SCAN_DAY, f"-40 - ({i} % 600)")
    blob = "decode('00', 'hex')" if connection.vendor == "postgresql" else "x'00'"
    cases = (
        "INSERT INTO cases_case (id, reference, case_type_id, state, received_on,"  # noqa: S608 (numbers and names from code)
        " reporter_named, outcome, checkin_answer, answers, channel)"
        f" SELECT {case_id}, '{REFERENCE_PREFIX}' || {padded_sql(i, 8)},"
        f" {by_type([str(t.pk) for t in types])}, {by_type([repr(s) for s in states])},"
        f" {received}, FALSE, '', '', {blob}, 'web' FROM {numbers_sql(first, last)}"
    )

    def clocks(kind: str, started: str, due: str, stopped: str, met: str) -> str:
        return (
            "INSERT INTO workflows_clock (case_id, kind, stage, working_days, started_on,"  # noqa: S608 (from code)
            " due_on, stopped_on, met, missed_recorded)"
            f" SELECT {case_id}, '{kind}', '', FALSE, {started}, {due}, {stopped}, {met}, FALSE"
            f" FROM {numbers_sql(first, last)}"
        )

    due = " ".join(f"WHEN {k} THEN {offset}" for k, offset in enumerate(DUE_OFFSETS))
    feedback_due = (
        f"CASE WHEN {i} % {DUE_EVERY} = 0 THEN CASE ({i} / {DUE_EVERY}) % {len(DUE_OFFSETS)}"
        f" {due} END ELSE 10 + ({i} % 80) END"
    )
    acknowledged = date_plus_sql(SCAN_DAY, f"-38 - ({i} % 600)")
    acknowledge_due = date_plus_sql(SCAN_DAY, f"-33 - ({i} % 600)")
    with connection.cursor() as cursor:
        cursor.execute(cases)
        # Met two days after the report came, long before the scan's day; then feedback.
        cursor.execute(clocks("acknowledge", received, acknowledge_due, acknowledged, "TRUE"))
        feedback_on = date_plus_sql(SCAN_DAY, feedback_due)
        cursor.execute(clocks("feedback", acknowledged, feedback_on, "NULL", "NULL"))
    return last - present


def _working_state(workflow: str) -> str:
    """A state a case is worked in: open, past the first."""
    spec = registry.spec_of(workflow)
    for state in spec.states:
        if not state.closed and state.name != spec.initial:
            return state.name
    return spec.initial


def _raw_claims_sql(now: dt.datetime) -> tuple[str, list[Any]]:
    """The baseline: one statement that selects the running clocks and open actions of open
    cases whose due day is in a level's days (for their case types, where policies differ)
    and inserts a claim for each, skipping those claimed already; it returns the claims'
    ids. The days come from the policies as the scan's do: the work measured is the SQL."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    arms: list[str] = []
    params: list[Any] = []
    for level, entries in level_days(SCAN_DAY).items():
        for (lo, hi), types in entries:
            for table, key, running in (
                ("workflows_clock", "k.id, NULL", "k.stopped_on IS NULL AND k.paused_on IS NULL"),
                ("cases_action", "NULL, k.id", "k.completed_at IS NULL"),
            ):
                of_types = f" AND c.case_type_id IN ({', '.join(map(str, types))})" if types else ""
                arms.append(
                    f"SELECT {key}, k.case_id, %s, k.due_on, 'claimed', %s, %s, ''"  # noqa: S608 (names and numbers from code)
                    f" FROM {table} k JOIN cases_case c ON c.id = k.case_id"
                    f" WHERE {running} AND c.closed_on IS NULL"
                    f" AND k.due_on >= %s AND k.due_on <= %s{of_types}"
                )
                params += [
                    str(level),
                    stamp,
                    stamp,
                    ops.adapt_datefield_value(lo or dt.date.min),
                    ops.adapt_datefield_value(hi or dt.date.max),
                ]
    pg = connection.vendor == "postgresql"
    sql = (
        f"{'INSERT' if pg else 'INSERT OR IGNORE'} INTO notifications_reminder"
        " (clock_id, action_id, case_id, level, due_on, state, claimed_at, enqueued_at, outcome) "
        + " UNION ALL ".join(arms)
        + f"{' ON CONFLICT DO NOTHING' if pg else ''} RETURNING id"
    )
    return sql, params


def measure(context: Context, rounds: int, *, overlap: bool = True) -> Measurement:
    """Measure, then (``overlap``) run two scans at once and count duplicates."""
    made = open_cases(context.scale)
    if made:
        print(f"B7: made {made:,} open cases with their clocks", flush=True)
    kept = Reminder.objects.aggregate(last=Max("pk"))["last"] or 0  # claims not B7's

    def undo() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM notifications_reminder WHERE id > %s", [kept])
        _vacuum()

    def through_scan(_: Any) -> list[int]:
        ids: list[int] = []
        scan(Enqueue(reminder=ids.append, email=ids.append, digest=ids.append))
        return ids

    def raw(_: Any) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(*_raw_claims_sql(timezone.now()))
            return [row[0] for row in cursor.fetchall()]

    with override_settings(SPEAKUP_REMINDER_TODAY=SCAN_DAY.isoformat()):
        expected = _same_claims(through_scan, raw, undo, kept)
        measured = compare(
            item="B7",
            title=f"reminder scan, {context.scale:,} open cases, 1% due "
            f"({expected:,} claims; {Case.objects.count():,} cases in all)",
            target=f"≤2x; under {TIME_LIMIT_SECONDS:.0f} s",
            max_ratio=2.0,
            a=Side("scan", through_scan, undo),
            b=Side("raw", raw, undo),
            rounds=rounds,
        )
        undo()
        duplicates = {"duplicates": overlapping_scans(expected, kept)} if overlap else {}
        undo()
    quick = measured.a_median < TIME_LIMIT_SECONDS
    return dataclasses.replace(
        measured,
        extra={
            "time": (quick, f"A {measured.a_median:.2f} s {'<' if quick else '≥'} 5 s"),
            **duplicates,
        },
    )


def _claims(kept: int) -> list[tuple[Any, ...]]:
    return sorted(
        Reminder.objects.filter(pk__gt=kept).values_list(
            "clock_id", "action_id", "level", "due_on"
        ),
        key=str,
    )


def _same_claims(a: Any, b: Any, undo: Any, kept: int) -> int:
    """Both sides claim the same reminders, a fair number of them; returns how many."""
    undo()
    a(None)
    by_a = _claims(kept)
    undo()
    b(None)
    by_b = _claims(kept)
    undo()
    if by_a != by_b or not by_a:
        raise AssertionError(f"B7 sides disagree: scan {len(by_a)} claims, raw {len(by_b)}")
    return len(by_a)


def overlapping_scans(expected: int, kept: int) -> tuple[bool, str]:
    """Two scans started at the same moment on two connections: every reminder is claimed
    and handed to a task once, by one of them."""
    start = threading.Barrier(2)
    handed: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait(timeout=30)
            queue = handed[n].append
            scan(Enqueue(reminder=queue, email=queue, digest=queue))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    before = ScanRun.objects.aggregate(last=Max("pk"))["last"] or 0
    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    first, second = (set(ids) for ids in handed)
    rows = _claims(kept)
    twice = len(first & second) + len(rows) - len(set(rows))
    runs = list(ScanRun.objects.filter(pk__gt=before).values_list("started_at", "finished_at"))
    overlapped = len(runs) == 2 and all(f is not None and s < f for s, _ in runs for _, f in runs)
    ok = twice == 0 and len(first | second) == len(rows) == expected and overlapped
    return ok, (
        f"two scans at once: {twice} duplicates, {len(first):,} + {len(second):,} claims"
        + ("" if overlapped else " (the scans did not overlap)")
    )


def _vacuum() -> None:
    """On PostgreSQL, clear the removed claims from the table and its indexes, so that every
    round inserts into the same table (as the owner: the application's role owns nothing)."""
    if connection.vendor == "postgresql" and "owner" in settings.DATABASES:
        with connections["owner"].cursor() as cursor:
            cursor.execute("VACUUM notifications_reminder")


ITEM = Item("B7", "reminder scan", measure)
