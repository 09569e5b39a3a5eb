"""B5: the retention purge of cases with history, grants, clocks, messages, evidence files and
links to other cases, against raw SQL deleting exactly the same rows (and emptying the same
stubs and clocks) and removing the same files.

Each run needs cases that are due and that nothing has purged yet, so every batch a run takes
is generated up front, set-based (``_generate``): closed long enough ago to be due, but marked
as needing attention after the reporter's check-in, which keeps a case from being due
(decision 0021). The purge side's ``prepare`` clears that mark on the next batch only, untimed,
so the purge finds exactly that batch due; the raw side takes its batch by id. The bulk cases
of ``bench/data.py`` are all closed within two years of its day, and the purge here runs on a
day before any of them is due.

Besides the ratio: cases a second on PostgreSQL (at least 2,000), and peak memory at two run
sizes, which must not grow with the number of cases (the purge holds one batch at a time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, models, transaction
from django.utils import timezone

from bench.data import TODAY, insert_rows, vacuum_analyse
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.audit import case_chain
from cases.models import (
    AuditHead,
    Case,
    CaseLink,
    DataKey,
    Evidence,
    LinkKind,
    Message,
    MessageKind,
)
from cases.storage import evidence_path
from permissions.models import CaseUserPermission
from reports.rollups import rollup_held
from retention.models import DeletionRecord, RetentionPolicy
from retention.purge import BATCH_SIZE, purge_due_cases
from workflows import registry
from workflows.models import Clock
from workflows.spec import ClockKind

# simple-history's models, made at run time: no name to import.
HistoricalCase = apps.get_model("cases", "HistoricalCase")
HistoricalEvidence = apps.get_model("cases", "HistoricalEvidence")
HistoricalMessage = apps.get_model("cases", "HistoricalMessage")
HistoricalCaseLink = apps.get_model("cases", "HistoricalCaseLink")

# The purge's day: before any of bench/data.py's cases (closed from two years before its day)
# falls due under any policy of a year or more.
PURGE_DAY = TODAY - dt.timedelta(days=800)
MIN_PER_SECOND = 2_000
MEMORY_GROWTH = 1.5  # the larger run's peak may be at most this times the smaller's
MESSAGES = 2
LINK_EVERY = 5  # one case in this many is linked to the next


def _rows_for(case_ids: list[uuid.UUID], case_type: Any, closed: dt.date) -> dict[Any, list[Any]]:
    """Every row of these cases, by model: what a closed case with some history holds."""
    spec = registry.spec_of(case_type.workflow)
    closed_state = next(state.name for state in spec.states if state.closed)
    handler = get_user_model().objects.get(username="handler")
    permission = Permission.objects.get(codename="view_case", content_type__app_label="cases")
    at = timezone.make_aware(dt.datetime.combine(closed, dt.time(12)))
    received = closed - dt.timedelta(days=30)
    rows: dict[Any, list[Any]] = {model: [] for model in _MODELS}
    # References from a count, after "0", which bench/data.py's alphabet never uses: unique.
    first = Case.objects.filter(reference__startswith="0").count()
    for number, case_id in enumerate(case_ids, start=first):
        case = {
            "id": case_id,
            "reference": f"0{number:08d}",
            "case_type_id": case_type.pk,
            "state": closed_state,
            "received_on": received,
            "closed_on": closed,
            "outcome": "",
            "attention_since": closed,  # not due until prepare() clears it
            "answers": secrets.token_bytes(64),
            "reporter_contact": secrets.token_bytes(48),
            "token_digest": secrets.token_bytes(32),
        }
        rows[Case].append(case)
        history = {k: v for k, v in case.items() if k != "token_digest"}
        rows[HistoricalCase].append({**history, "history_date": at, "history_type": "+"})
        rows[DataKey].append(
            {
                "case_id": case_id,
                "master_key_id": settings.SPEAKUP_ACTIVE_MASTER_KEY,
                "wrapped": secrets.token_bytes(60),
            }
        )
        rows[AuditHead].append({"chain": case_chain(case_id)})
        rows[CaseUserPermission].append(
            {"permission_id": permission.pk, "user_id": handler.pk, "content_object_id": case_id}
        )
        rows[Clock].append(
            {
                "case_id": case_id,
                "kind": ClockKind.ACKNOWLEDGE,
                "stage": "",
                "started_on": received,
                "due_on": received + dt.timedelta(days=7),
                "stopped_on": received + dt.timedelta(days=2),
                "met": True,
                "reason": secrets.token_bytes(40),
            }
        )
        for position in range(MESSAGES):
            message = {
                "id": uuid.uuid4(),
                "case_id": case_id,
                "position": position,
                "kind": MessageKind.FROM_REPORTER,
                "body": secrets.token_bytes(80),
                "created_at": at,
            }
            rows[Message].append(message)
            rows[HistoricalMessage].append({**message, "history_date": at, "history_type": "+"})
        evidence = {
            "id": uuid.uuid4(),
            "case_id": case_id,
            "stored_name": secrets.token_hex(16),
            "content_type": "text/plain",
            "size": 64,
            "original_name": secrets.token_bytes(40),
            "created_at": at,
        }
        rows[Evidence].append(evidence)
        rows[HistoricalEvidence].append({**evidence, "history_date": at, "history_type": "+"})
    # One case in five linked to the next (decision 0033): both sides, each with a sealed note.
    for one, two in zip(case_ids[::LINK_EVERY], case_ids[1::LINK_EVERY], strict=False):
        for this, that in ((one, two), (two, one)):
            link = {
                "id": uuid.uuid4(),
                "case_id": this,
                "other_id": that,
                "kind": LinkKind.SAME_PERSON,
                "note": secrets.token_bytes(40),
                "linked_by_id": handler.pk,
                "linked_at": at,
            }
            rows[CaseLink].append(link)
            rows[HistoricalCaseLink].append({**link, "history_date": at, "history_type": "+"})
    return rows


_MODELS = (
    Case,
    HistoricalCase,
    DataKey,
    AuditHead,
    CaseUserPermission,
    Clock,
    Message,
    HistoricalMessage,
    Evidence,
    HistoricalEvidence,
    CaseLink,
    HistoricalCaseLink,
)


def _generate(n: int, case_type: Any, closed: dt.date) -> list[uuid.UUID]:
    """``n`` closed cases with their rows and evidence files (64 bytes each), not yet due."""
    case_ids = [uuid.uuid4() for _ in range(n)]
    rows = _rows_for(case_ids, case_type, closed)
    with transaction.atomic():
        for model in _MODELS:
            insert_rows(model, rows[model])
    paths = [evidence_path(evidence["stored_name"]) for evidence in rows[Evidence]]
    for folder in {path.parent for path in paths}:
        folder.mkdir(parents=True, exist_ok=True)
    # Made in threads, as the purge removes them (``cases.storage.files_discard``): creating
    # a file here costs the kernel about a millisecond, most of B5's input's time in one.
    with ThreadPoolExecutor(8, thread_name_prefix="b5-files") as pool:
        list(pool.map(_file_write, paths))
    return case_ids


def _file_write(path: Path) -> None:
    path.write_bytes(secrets.token_bytes(64))


def _ids(case_ids: list[uuid.UUID]) -> tuple[str, list[Any]]:
    """A ``WHERE`` condition on a case id column, and its parameters."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::uuid[])", [case_ids]
    return f"IN ({', '.join(['%s'] * len(case_ids))})", [c.hex for c in case_ids]


def _month(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def _days(first: str, last: str) -> str:
    """The days from one date column to another, as the stub keeps them before its dates are
    cut to months (NULL where either is)."""
    if connection.vendor == "postgresql":
        return f"({last} - {first})"
    return f"CAST(julianday({last}) - julianday({first}) AS INTEGER)"


def raw_purge(case_ids: list[uuid.UUID]) -> dict[str, int]:
    """What the purge does to these cases, in SQL written by hand: rows deleted per table."""
    where, params = _ids(case_ids)
    deleted: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT stored_name FROM cases_evidence WHERE case_id {where}", params)  # noqa: S608
        names = [name for (name,) in cursor.fetchall()]
        for table, column in (
            ("cases_historicalmessage", "case_id"),
            ("cases_message", "case_id"),
            ("cases_historicalevidence", "case_id"),
            ("cases_evidence", "case_id"),
            ("cases_historicalcase", "id"),
            ("permissions_caseuserpermission", "content_object_id"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {column} {where}", params)  # noqa: S608
            deleted[table] = cursor.rowcount
        # A link points at both of its cases: either may be the one purged.
        for table in ("cases_historicalcaselink", "cases_caselink"):
            cursor.execute(
                f"DELETE FROM {table} WHERE case_id {where} OR other_id {where}",  # noqa: S608
                params + params,
            )
            deleted[table] = cursor.rowcount
        cursor.execute(
            f"UPDATE workflows_clock SET reason = NULL, paused_on = NULL, "  # noqa: S608
            f"days_taken = {_days('started_on', 'stopped_on')}, "
            f"started_on = {_month('started_on')}, due_on = {_month('due_on')}, "
            f"stopped_on = {_month('stopped_on')} WHERE case_id {where}",
            params,
        )
        cursor.execute(
            "UPDATE cases_case SET answers = %s, reporter_contact = NULL, "  # noqa: S608
            "redacted_answers = NULL, token_digest = NULL, reporter_named = %s, "
            "mediation_consented_on = NULL, police_referred_on = NULL, "
            f"days_to_close = {_days('received_on', 'closed_on')}, "
            f"received_on = {_month('received_on')}, closed_on = {_month('closed_on')} "
            f"WHERE id {where}",
            [b"", False, *params],
        )
        cursor.execute(f"DELETE FROM cases_datakey WHERE case_id {where}", params)  # noqa: S608
    for name in names:
        evidence_path(name).unlink(missing_ok=True)
    return deleted


# What the purge's deletion records call the tables the raw side empties.
_LABELS = {
    "cases_historicalmessage": "cases.historicalmessage",
    "cases_message": "cases.message",
    "cases_historicalevidence": "cases.historicalevidence",
    "cases_evidence": "cases.evidence",
    "cases_historicalcase": "cases.historicalcase",
    "permissions_caseuserpermission": "permissions.caseuserpermission",
    "cases_historicalcaselink": "cases.historicalcaselink",
    "cases_caselink": "cases.caselink",
}


def _make_due(case_ids: list[uuid.UUID]) -> None:
    # Bench data, not a change to a case: no history row (the model's manager refuses this).
    models.QuerySet(model=Case).filter(pk__in=case_ids).update(attention_since=None)


class _Batches:
    """Batches generated up front, handed out one per run."""

    def __init__(self, batches: list[list[uuid.UUID]]) -> None:
        self._batches: Iterator[list[uuid.UUID]] = iter(batches)

    def due(self) -> list[uuid.UUID]:
        """The next batch, made due (untimed): the purge side's input."""
        case_ids = next(self._batches)
        _make_due(case_ids)
        return case_ids

    def taken(self) -> list[uuid.UUID]:
        """The next batch as it is: the raw side's input."""
        return next(self._batches)


def _purge(case_ids: list[uuid.UUID]) -> int:
    run = purge_due_cases(today=PURGE_DAY)
    if run.purged != len(case_ids):
        raise AssertionError(f"B5 purged {run.purged} cases, not the {len(case_ids)} due")
    return run.purged


def _peak(case_ids: list[uuid.UUID]) -> int:
    tracemalloc.start()
    try:
        _purge(case_ids)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _sides_agree(batches: _Batches) -> None:
    """One batch each way: the raw side deletes exactly the rows the purge records, and
    neither moves a count the reports show (the stubs and clocks keep their days, dated to
    their months), so both write the same stub and clock values."""
    purged = batches.due()
    counts = rollup_held()
    _purge(purged)
    if rollup_held() != counts:
        raise AssertionError("B5: the purge moved the reports' counts")
    recorded: Counter[str] = Counter()
    for rows in DeletionRecord.objects.filter(case_id__in=purged).values_list("rows", flat=True):
        recorded.update(rows)
    raw = {_LABELS[table]: count for table, count in raw_purge(batches.taken()).items()}
    if rollup_held() != counts:
        raise AssertionError("B5: the raw side moved the reports' counts: not the purge's writes")
    if dict(recorded) != raw:
        raise AssertionError(f"B5 sides disagree: purge {dict(recorded)}, raw {raw}")


def per_run(scale: int) -> int:
    """Cases each timed run purges: a twentieth of the scale, from 20 to 5,000 (three of the
    purge's batches, the last a half)."""
    return max(20, min(5_000, scale // 20))


def measure(context: Context, rounds: int, *, n: int | None = None) -> Measurement:
    n = n or per_run(context.scale)
    small = max(min(BATCH_SIZE, n), n // 4)
    policy = RetentionPolicy.objects.select_related("case_type").order_by("content_days").first()
    if policy is None:
        raise AssertionError("B5 needs a case type with a retention policy (seed_demo makes them)")
    closed = PURGE_DAY - dt.timedelta(days=policy.content_days + 1)
    # Two for the check that the sides agree; per side a warm-up, the rounds, the query count
    # and the peak; and one at the smaller size for the memory check.
    runs = 2 + 2 * (rounds + 3)
    batches = _Batches([_generate(n, policy.case_type, closed) for _ in range(runs)])
    smaller = _generate(small, policy.case_type, closed)
    vacuum_analyse()
    _sides_agree(batches)
    measurement = compare(
        item="B5",
        title=f"retention purge of {n:,} cases with history, grants, clocks, messages and "
        f"files ({context.scale:,} cases)",
        target=f"≤3x, ≥{MIN_PER_SECOND:,} cases/s on PostgreSQL, flat memory",
        max_ratio=3.0,
        a=Side("purge", _purge, batches.due),
        b=Side("raw", raw_purge, batches.taken),
        rounds=rounds,
    )
    _make_due(smaller)
    small_peak = _peak(smaller)
    rate = n / measurement.a_median
    on_postgresql = context.vendor == "postgresql"
    growth = measurement.a_peak_bytes / max(small_peak, 1)
    extra = {
        "rate": (
            rate >= MIN_PER_SECOND or not on_postgresql,
            f"{rate:,.0f} cases/s" + ("" if on_postgresql else " (the target is PostgreSQL's)"),
        ),
        "memory": (
            growth <= MEMORY_GROWTH,
            f"peak {small_peak / 1e6:.1f} MB at {small:,} cases, "
            f"{measurement.a_peak_bytes / 1e6:.1f} MB at {n:,}",
        ),
    }
    return dataclasses.replace(measurement, extra=extra)


ITEM = Item("B5", "retention purge", measure)
