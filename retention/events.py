"""The audit events of purged cases, removed after their own, longer period.

The only module that removes audit rows, and only these: a purged case keeps its events
(identifiers only, decision 4) for ``SPEAKUP_AUDIT_RETENTION_DAYS`` after its purge, then the
nightly retention job removes them. A batch of due cases is one transaction: lock their
deletion records (``SKIP LOCKED`` on PostgreSQL, so two runs never take the same case), mark
each chain's head as purged through its newest link, sealed under the audit key
(``cases.audit.chains_mark_purged``, so ``audit_verify`` tells this from tampering), remove
the events, and count them on each deletion record. The run is a staff event (counts only).

Audit rows are append-only to the application (decision 15): on PostgreSQL the rows go through
``retention_case_events_purge`` (migration ``retention/0004``), a function owned by the owner
of the tables that removes only events of cases purged at least a year ago; the application's
role still may not delete one itself. On SQLite (development, one connection, no roles) the
triggers are lifted for the one statement inside the batch's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from cases.audit import chains_mark_purged
from cases.dbroles import audit_guards_lifted
from cases.models import CaseEvent
from permissions.audit import staff_event_record
from retention.models import DeletionRecord
from retention.selectors import audit_events_cutoff, records_with_events_due


def _events_delete(case_ids: list[uuid.UUID], cutoff: dt.datetime) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT retention_case_events_purge(%s::uuid[], %s)", [case_ids, cutoff])
            (removed,) = cursor.fetchone()
        return int(removed)
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    marks = ", ".join(["%s"] * len(case_ids))
    with audit_guards_lifted(connection), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE case_id IN ({marks})",  # noqa: S608 (placeholders)
            [CaseEvent._meta.get_field("case").get_db_prep_value(c, connection) for c in case_ids],
        )
        return int(cursor.rowcount)


def _batch_purge(now: dt.datetime, batch_size: int) -> tuple[int, int]:
    """One batch in one transaction: ``(cases, events)`` removed; ``(0, 0)`` when none left."""
    with transaction.atomic():
        due = records_with_events_due(now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        records = list(due[:batch_size])
        if not records:
            return 0, 0
        case_ids = [record.case_id for record in records]
        chains_mark_purged(case_ids)  # locks the heads: no event is added meanwhile
        counts = dict(
            CaseEvent.objects.filter(case_id__in=case_ids)
            .values_list("case_id")
            .annotate(n=Count("id"))
            .values_list("case_id", "n")
        )
        removed = _events_delete(case_ids, audit_events_cutoff(now))
        if removed != sum(counts.values()):
            raise RuntimeError(f"Expected to remove {sum(counts.values())} events, not {removed}.")
        for record in records:
            record.audit_events_purged_at = now
            record.audit_events = counts.get(record.case_id, 0)
        DeletionRecord.objects.bulk_update(records, ["audit_events_purged_at", "audit_events"])
    return len(records), removed


@dataclass(frozen=True)
class EventsPurgeRun:
    cases: int
    events: int


def audit_events_purge(
    *, now: dt.datetime | None = None, batch_size: int = 500, limit: int | None = None
) -> EventsPurgeRun:
    """Remove the audit events of every purged case whose events are due (see the module's
    docstring), ``batch_size`` cases per transaction, ``limit`` cases at most. Safe to run
    twice, at once or after a crash: a batch happens entirely or not at all. Records the run
    as a ``retention.audit_events_purged`` staff event (counts only) when it removed any."""
    now = now or timezone.now()
    cases = events = 0
    while limit is None or cases < limit:
        size = batch_size if limit is None else min(batch_size, limit - cases)
        done, removed = _batch_purge(now, size)
        if not done:
            break
        cases, events = cases + done, events + removed
    if cases:
        staff_event_record(
            code="retention.audit_events_purged",
            actor=None,
            payload={"cases": cases, "events": events},
        )
    return EventsPurgeRun(cases=cases, events=events)
