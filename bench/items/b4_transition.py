"""B4: one workflow transition through the real service, as the case page's step form calls it
(``workflows.services.case_transition`` with the case's id, the handler, the step and the state
the page showed), against raw SQL doing the same reads and writes in one transaction.

The step is a whistleblowing case's first, ``acknowledge``: the case moves from received to
acknowledged (its row and a history row), its acknowledgement deadline stops, met (the clock
and a history row), its feedback deadline starts (a clock and a history row), and two audit
events are linked into the case's chain (``case.transitioned`` and ``clock.met``). The raw
side does exactly that: it reads the case under its lock where the gate's rules let the
handler work it (a grant of their own not past its end or one to a team of theirs, and no
exclusion), with its type (the feedback deadline's length) and the handler's roles (the
step's role check), then its clocks and its chain's head, and writes the same rows, the
events' links computed with the same HMAC (``cases.audit.link_mac``). The reporter left no
contact details, so neither side queues an e-mail.

Every run takes a case of its own, filed through ``workflows.services.case_file`` and granted
to the handler in ``prepare`` (untimed; on SQLite the write-ahead log is checkpointed there
too: ``prepared``). Before timing, one run each way must leave the same
rows behind (the case, its history, its clocks and their history, its events, and a chain
that verifies).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from functools import partial
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.data import chain_problems, history_columns, insert_rows, prep_value
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.audit import case_chain, event_body, link_mac
from cases.models import Case, CaseEvent, CaseType
from permissions.models import CaseUserPermission
from permissions.roles import CasePerm, Role
from workflows.calendar import Period, add_period
from workflows.models import Clock
from workflows.services import case_file, case_transition
from workflows.spec import ClockKind

HistoricalCase = apps.get_model("cases", "HistoricalCase")
HistoricalClock = apps.get_model("workflows", "HistoricalClock")

MAX_QUERIES = 10
MIN_ROUNDS = 21  # one transition a run, a few milliseconds: more rounds for a steady median
STEP, SOURCE, TARGET = "acknowledge", "received", "acknowledged"


@dataclasses.dataclass(frozen=True)
class Setting:
    case_type: CaseType
    handler: Any
    permission_ids: tuple[int, ...]  # view and work, as an assignment grants them
    work_permission_id: int


def _setting(handler_id: int) -> Setting:
    case_type = CaseType.objects.filter(workflow="whistleblowing", is_active=True).order_by("pk")
    found = case_type.first()
    if found is None or not found.acknowledge_within_days or not found.feedback_within_months:
        raise AssertionError("B4 needs an active whistleblowing case type with its deadlines")
    perms = {
        p.codename: p.pk
        for p in Permission.objects.filter(
            content_type__app_label="cases", codename__in=[CasePerm.VIEW, CasePerm.WORK]
        )
    }
    return Setting(
        case_type=found,
        handler=get_user_model().objects.get(pk=handler_id),
        permission_ids=tuple(perms.values()),
        work_permission_id=perms[CasePerm.WORK],
    )


def fresh_case(setting: Setting) -> uuid.UUID:
    """A received case filed through the service, its deadline running, granted to the
    handler (untimed: each run's input)."""
    case, _token = case_file(
        case_type=setting.case_type, answers={"what_happened": "Benchmark report."}
    )
    insert_rows(
        CaseUserPermission,
        (
            {"permission_id": p, "user_id": setting.handler.pk, "content_object_id": case.pk}
            for p in setting.permission_ids
        ),
    )
    return case.pk


def prepared(setting: Setting) -> uuid.UUID:
    """Each run's input (``fresh_case``), on SQLite after its write-ahead log is checkpointed,
    both untimed. SQLite moves the log into the database whenever it passes 1,000 pages, at
    the commit that passes it, syncing the file (about 20 ms on the shared machine, against
    a raw step's 0.4 ms commit); at 100,000 cases a step and its filing write enough pages for
    that to fall in about one timed run in 17, on either side by chance, which is what gave B4
    on SQLite its spread (0.68 to 21.45). Both sides write the same pages, so both pay the
    same share of it; checkpointing here takes it out of every timed run instead of a few.
    The checkpoint comes first: the first commit after one restarts the log and syncs its
    header, and that commit must be the filing's, not the timed step's. Not inside a
    transaction (a test's), where SQLite refuses a checkpoint and nothing is committed."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return fresh_case(setting)


def raw_transition(setting: Setting, case_id: uuid.UUID) -> None:
    """The step in SQL written by hand: the same reads and writes as the service."""
    pg = connection.vendor == "postgresql"
    today = timezone.localdate()
    now = timezone.now()
    cid = prep_value(Case, "id", case_id)
    actor = setting.handler.pk
    case_columns = history_columns(Case, HistoricalCase)
    clock_columns = history_columns(Clock, HistoricalClock)
    with transaction.atomic(), connection.cursor() as cursor:
        # The gate's rules for one case (permissions/access.py): a grant to the handler not
        # past its end or one to a team they are in, and no exclusion; with the case's type
        # (the feedback deadline's length) and the handler's roles (the step's role check).
        cursor.execute(
            "SELECT c.state, t.feedback_within_months, t.deadlines_in_working_days,"  # noqa: S608 (no input in the text)
            f" (SELECT {'STRING_AGG' if pg else 'GROUP_CONCAT'}(r.name, ',')"
            " FROM auth_user_groups m JOIN auth_group r ON r.id = m.group_id WHERE m.user_id = %s)"
            " FROM cases_case c JOIN cases_casetype t ON t.id = c.case_type_id WHERE c.id = %s"
            " AND (EXISTS (SELECT 1 FROM permissions_caseuserpermission g"
            " WHERE g.content_object_id = %s AND g.user_id = %s AND g.permission_id = %s"
            " AND (g.expires_on IS NULL OR g.expires_on >= %s))"
            " OR EXISTS (SELECT 1 FROM permissions_casegrouppermission g"
            " JOIN auth_user_groups m ON m.group_id = g.group_id"
            " WHERE g.content_object_id = %s AND m.user_id = %s AND g.permission_id = %s))"
            " AND NOT EXISTS (SELECT 1 FROM permissions_caseexclusion x"
            f" WHERE x.case_id = %s AND x.user_id = %s){' FOR UPDATE OF c' if pg else ''}",
            [
                actor,
                cid,
                cid,  # each rule reads this case's rows only, as the gate asks about one case
                actor,
                setting.work_permission_id,
                connection.ops.adapt_datefield_value(today),
                cid,
                actor,
                setting.work_permission_id,
                cid,
                actor,
            ],
        )
        row = cursor.fetchone()
        if row is None or row[0] != SOURCE or Role.HANDLER not in (row[3] or "").split(","):
            raise AssertionError(f"B4's raw side found the case {row}")
        _state, feedback_months, working_days, _roles = row
        cursor.execute(
            "SELECT id, due_on FROM workflows_clock WHERE case_id = %s AND kind = %s"
            " AND stage = '' AND stopped_on IS NULL",
            [cid, ClockKind.ACKNOWLEDGE],
        )
        ack_id, ack_due = cursor.fetchone()
        ack_due = ack_due if isinstance(ack_due, dt.date) else dt.date.fromisoformat(ack_due)
        met = today <= ack_due
        cursor.execute(
            "UPDATE cases_case SET state = %s, closed_on = NULL WHERE id = %s", [TARGET, cid]
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(
            f"INSERT INTO cases_historicalcase ({case_columns}, history_date,"  # noqa: S608 (names from the models)
            " history_change_reason, history_type, history_user_id)"
            f" SELECT {case_columns}, %s, NULL, '~', NULL FROM cases_case WHERE id = %s",
            [stamp, cid],
        )
        day = connection.ops.adapt_datefield_value(today)
        cursor.execute(
            "UPDATE workflows_clock SET stopped_on = %s, met = %s WHERE id = %s",
            [day, met, ack_id],
        )
        due = add_period(today, Period(feedback_months, "months"))
        cursor.execute(
            "INSERT INTO workflows_clock (case_id, kind, stage, working_days, started_on,"
            " due_on, stopped_on, met, missed_recorded, reason)"
            " VALUES (%s, %s, '', %s, %s, %s, NULL, NULL, %s, NULL) RETURNING id",
            [
                cid,
                ClockKind.FEEDBACK,
                bool(working_days),
                day,
                connection.ops.adapt_datefield_value(due),
                False,
            ],
        )
        (feedback_id,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO workflows_historicalclock ({clock_columns}, history_date,"  # noqa: S608 (names from the models)
            " history_change_reason, history_type, history_user_id)"
            f" SELECT {clock_columns}, %s, NULL, CASE WHEN id = %s THEN '+' ELSE '~' END, NULL"
            " FROM workflows_clock WHERE id IN (%s, %s) ORDER BY id",
            [stamp, feedback_id, ack_id, feedback_id],
        )
        chain = case_chain(case_id)
        cursor.execute(
            f"SELECT seq, mac FROM cases_audithead WHERE chain = %s{' FOR UPDATE' if pg else ''}",  # noqa: S608 (no input in the text)
            [chain],
        )
        seq, mac = cursor.fetchone()
        events = [
            ("case.transitioned", {"source": SOURCE, "target": TARGET, "transition": STEP}),
            (
                "clock.met" if met else "clock.missed",
                {"clock": ClockKind.ACKNOWLEDGE.value, "due_on": ack_due.isoformat()},
            ),
        ]
        rows: list[Any] = []
        for code, payload in events:
            seq += 1
            body = event_body(code=code, actor_id=actor, at=now, payload=payload)
            mac = link_mac(chain=chain, seq=seq, prev=mac, body=body)
            rows += [cid, code, actor, stamp, json.dumps(payload), seq, mac]
        cursor.execute(
            "UPDATE cases_audithead SET seq = %s, mac = %s WHERE chain = %s", [seq, mac, chain]
        )
        cursor.execute(
            "INSERT INTO cases_caseevent (case_id, code, actor_id, at, payload, seq, mac)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def through_service(setting: Setting, case_id: uuid.UUID) -> None:
    """As the step form's view calls it: the case's id, the actor, the step, the state seen."""
    case_transition(
        case=str(case_id), name=STEP, actor=setting.handler, expected_state=SOURCE, reason=""
    )


def rows_of(case_id: uuid.UUID) -> dict[str, Any]:
    """What a transition left behind, in terms both sides must agree on."""
    case = Case.objects.values("state", "closed_on").get(pk=case_id)
    history = list(
        HistoricalCase.objects.filter(id=case_id)
        .order_by("history_id")
        .values_list("state", "history_type", "history_user_id")
    )
    clocks = sorted(
        Clock.objects.filter(case_id=case_id).values_list(
            "kind", "stage", "working_days", "started_on", "due_on", "stopped_on", "met"
        )
    )
    clock_history = sorted(
        HistoricalClock.objects.filter(case_id=case_id).values_list(
            "kind", "history_type", "stopped_on", "met"
        ),
        key=str,
    )
    events = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq"))
    return {
        "case": case,
        "history": history,
        "clocks": clocks,
        "clock history": clock_history,
        "events": [(e.seq, e.code, e.actor_id, e.payload) for e in events],
        "chain problems": chain_problems(case_id),
    }


def _same_rows(setting: Setting) -> None:
    """One run each way, on a case each: the same rows, and chains that verify."""
    by_service, by_raw = fresh_case(setting), fresh_case(setting)
    through_service(setting, by_service)
    raw_transition(setting, by_raw)
    a, b = rows_of(by_service), rows_of(by_raw)
    if a != b or a["case"]["state"] != TARGET or a["chain problems"]:
        raise AssertionError(f"B4 sides disagree:\n service {a}\n raw     {b}")


_CONTROL = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


def statements(setting: Setting) -> list[str]:
    """The statements of one transition through the service, transaction control left out
    (BEGIN and COMMIT, which the raw side sends too)."""
    case_id = fresh_case(setting)
    with CaptureQueriesContext(connection) as captured:
        through_service(setting, case_id)
    return [q["sql"] for q in captured.captured_queries if not _CONTROL.match(q["sql"])]


def measure(context: Context, rounds: int) -> Measurement:
    setting = _setting(context.handler_id)
    _same_rows(setting)
    measured = compare(
        item="B4",
        title=f"one transition ({STEP}: state, history, two clocks, two events) "
        f"({context.scale:,} cases)",
        target=f"≤2x, at most {MAX_QUERIES} statements",
        max_ratio=2.0,
        a=Side("service", partial(through_service, setting), partial(prepared, setting)),
        b=Side("raw", partial(raw_transition, setting), partial(prepared, setting)),
        rounds=max(rounds, MIN_ROUNDS),
    )
    sent = len(statements(setting))
    few = sent <= MAX_QUERIES
    words = f"{sent} statements {'≤' if few else '>'} {MAX_QUERIES} (and BEGIN, COMMIT)"
    return dataclasses.replace(measured, extra={"queries": (few, words)})


ITEM = Item("B4", "one transition", measure)
