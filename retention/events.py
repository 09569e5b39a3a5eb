"""The audit events of purged cases, removed after their own, longer period.

The only module that removes audit rows, and only these: a purged case keeps its events
(identifiers only, decision 4) for ``SPEAKUP_AUDIT_RETENTION_DAYS`` after its purge, then the
nightly retention job removes them. A batch of due cases is one transaction: lock their
deletion records (``SKIP LOCKED`` on PostgreSQL, so two runs never take the same case), mark
each chain's head as purged through its newest link, sealed under the audit key
(``cases.audit.chains_mark_purged``, so ``audit_verify`` tells this from tampering), remove
the events, and count them on each deletion record. The run is a staff event (counts only).

The two long-lived chains that belong to no case, the refused access attempts and the staff
events (roles, teams, accounts), lose their oldest links after the same period
(``audit_chains_purge``): in order, only a run of links that are all older than it, checked
before they go (a broken link is reported, and nothing is removed) and sealed on the chain's
head as purged through the last of them (``cases.audit.chain_prefix_mark_purged``).

Audit rows are append-only to the application (decision 15): on PostgreSQL the rows go through
``retention_case_events_purge`` (migration ``retention/0004``), a function owned by the owner
of the tables that removes only events of cases purged at least a year ago; the application's
role still may not delete one itself. The chains' links go the same way, through
``retention_audit_chain_purge`` (migration ``retention/0005``), which removes only links over
a year old. On SQLite (development, one connection, no roles) the triggers are lifted for the
one statement inside the batch's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Min, Model
from django.utils import timezone

from cases.audit import REFUSAL_CHAIN, Link, chain_prefix_mark_purged, chains_mark_purged
from cases.dbroles import audit_guards_lifted
from cases.models import AuditHead, CaseEvent
from permissions.audit import STAFF_CHAIN, refusal_links, staff_event_links, staff_event_record
from permissions.models import AccessRefusal, StaffEvent
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


# --- The chains that belong to no case ------------------------------------------------------

logger = logging.getLogger("speakup.retention")


@dataclass(frozen=True)
class _Chain:
    name: str
    table: type[Model]  # the chain's rows (refusals or staff events; no case)
    links: Callable[[int, int | None], Iterator[Link]]


CHAINS = (
    _Chain(REFUSAL_CHAIN, AccessRefusal, refusal_links),
    _Chain(STAFF_CHAIN, StaffEvent, staff_event_links),
)


def _purgeable_through(chain: _Chain, head: AuditHead, cutoff: dt.datetime) -> int:
    """The newest place up to which every link is older than ``cutoff``: the links go in
    order, so one recorded later than a younger one (their clocks are read before the chain's
    lock is taken) waits for it."""
    first_kept = chain.table._default_manager.filter(
        seq__gt=head.purged_through, at__gte=cutoff
    ).aggregate(first=Min("seq"))["first"]
    return head.seq if first_kept is None else first_kept - 1


def audit_chain_links_due(now: dt.datetime | None = None) -> dict[str, int]:
    """How many links of each chain the next run removes (the dry run's figures)."""
    cutoff = audit_events_cutoff(now)
    heads = AuditHead.objects.in_bulk([chain.name for chain in CHAINS])
    due = {}
    for chain in CHAINS:
        head = heads.get(chain.name)
        if head is None:
            due[chain.name] = 0
            continue
        through = _purgeable_through(chain, head, cutoff)
        due[chain.name] = chain.table._default_manager.filter(
            seq__gt=head.purged_through, seq__lte=through
        ).count()
    return due


def _links_delete(chain: _Chain, through: int, cutoff: dt.datetime) -> int:
    table = chain.table._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT retention_audit_chain_purge(%s, %s, %s)", [table, through, cutoff]
            )
            (removed,) = cursor.fetchone()
        return int(removed)
    quoted = connection.ops.quote_name(table)
    with audit_guards_lifted(connection), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quoted} WHERE seq <= %s AND at < %s",  # noqa: S608 (placeholders)
            [through, connection.ops.adapt_datetimefield_value(cutoff)],
        )
        return int(cursor.rowcount)


class AuditChainBroken(RuntimeError):
    """The oldest links of a chain do not verify: retention leaves them for an investigation."""


def _chain_batch_purge(chain: _Chain, now: dt.datetime, batch_size: int) -> int:
    """Remove the next run of at most ``batch_size`` due links in one transaction; 0 when
    none is left. Raises ``AuditChainBroken``, removing nothing, if they do not verify."""
    cutoff = audit_events_cutoff(now)
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(chain=chain.name).first()
        if head is None:
            return 0
        through = min(_purgeable_through(chain, head, cutoff), head.purged_through + batch_size)
        if through <= head.purged_through:
            return 0
        links = list(chain.links(head.purged_through, through))
        problems = chain_prefix_mark_purged(head, links)
        if problems:
            raise AuditChainBroken(f"{len(problems)} problem(s), the first: {problems[0]}")
        removed = _links_delete(chain, through, cutoff)
        if removed != len(links):
            raise RuntimeError(
                f"Expected to remove {len(links)} links of {chain.name}, not {removed}."
            )
    return removed


@dataclass
class ChainsPurgeRun:
    removed: dict[str, int] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)


def audit_chains_purge(*, now: dt.datetime | None = None, batch_size: int = 5000) -> ChainsPurgeRun:
    """Remove the links of the refusals' and staff events' chains older than the audit
    record's period (see the module's docstring), ``batch_size`` links per transaction. Safe
    to run twice, at once or after a crash. A chain whose due links do not verify keeps them
    and is named in the result and in an error in the log (identifiers only), for
    ``audit_verify`` and a person to look at; the other chain still goes on. Records the run
    as a ``retention.audit_chains_purged`` staff event (counts only) when it removed any."""
    now = now or timezone.now()
    run = ChainsPurgeRun()
    for chain in CHAINS:
        removed = 0
        try:
            while done := _chain_batch_purge(chain, now, batch_size):
                removed += done
        except AuditChainBroken as broken:
            run.broken[chain.name] = str(broken)
            logger.error("Retention kept the %s chain's oldest links: %s", chain.name, broken)
        run.removed[chain.name] = removed
    if any(run.removed.values()):
        staff_event_record(
            code="retention.audit_chains_purged",
            actor=None,
            payload={
                "refusals": run.removed[REFUSAL_CHAIN],
                "staff_events": run.removed[STAFF_CHAIN],
            },
        )
    return run
