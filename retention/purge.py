"""The purge: deleting a case's content when its retention period has passed.

The only module that deletes case content. For each due case, in its own transaction:
lock the case row (``SKIP LOCKED`` on PostgreSQL, so two workers never take the same case),
check again that it is still due and not on hold, then delete every row that hangs off it,
reduce the case row to its anonymous stub, destroy its data key (crypto-shredding), write one
``DeletionRecord`` with counts only and a ``retention.purged`` audit event, and last remove
its evidence files. Killed anywhere before the commit, nothing of it happened and the next
run does it all; after the commit the case is no longer due, so no second record is written.

**What hangs off a case is found, not listed.** Every installed model is read for the ways
a row can point at a case or at a row that is itself being deleted: a foreign key (history
tables' keys included, which have no database constraint), a historical model's copy of its
instance's primary key, a generic (content type, object id) pair such as guardian's generic
permission tables, or a plain ``case_id`` column. A model that another app adds later is
purged without a change here. Only ``KEPT`` survives, each for a stated reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from cases.audit import event_record
from cases.keys import data_key_destroy
from cases.models import Evidence
from cases.selectors import case_rows_for_system
from cases.services import case_reduce_to_stub
from cases.storage import evidence_path, file_discard
from permissions.audit import staff_event_record
from retention.models import DeletionRecord
from retention.selectors import case_is_due, cases_due
from workflows.models import Clock

CASE: Final = "cases.case"
# What survives a purge, and why. Everything else that points at the case goes.
KEPT: Final = {
    CASE: "the anonymous stub: cases.services.STUB_FIELDS",
    "cases.caseevent": "the case's audit events, identifiers only (decision 4)",
    "permissions.accessrefusal": "refused requests, part of the audit record: identifiers only",
    "retention.deletionrecord": "what the purge removed, counts only",
    "workflows.clock": "deadlines met or missed, for trend reports: reason emptied, months only",
    # Not kept: destroyed last, by the one function that shreds a key.
    "cases.datakey": "destroyed by cases.keys.data_key_destroy after everything else",
}
_CHUNK: Final = 500

# Tests inject faults here (a function called with the name of each step).
Checkpoint = Callable[[str], None]


def _nothing(step: str) -> None:
    return None


@dataclass(frozen=True)
class _Link:
    """One way rows of ``source`` point at rows of ``target``: ``column`` holds the
    target's primary key (as text, when ``content_type`` names a generic pair)."""

    source: type[models.Model]
    column: str
    target: str
    content_type: str | None = None


def _label(klass: type[models.Model]) -> str:
    return klass._meta.concrete_model._meta.label_lower  # type: ignore[union-attr]


def _links() -> Iterator[_Link]:
    """Every way any installed model can point at a row of another (see the docstring)."""
    generic = "*"
    for source in apps.get_models(include_auto_created=True):
        if source._meta.proxy:
            continue
        fields = source._meta.concrete_fields
        names = {f.name for f in fields}
        for f in fields:
            if f.is_relation and (f.many_to_one or f.one_to_one):
                yield _Link(source, f.attname, _label(f.related_model))  # type: ignore[arg-type]
            elif f.attname == "case_id":
                yield _Link(source, "case_id", CASE)
        instance_type = getattr(source, "instance_type", None)  # simple-history's models
        if instance_type is not None:
            pk = instance_type._meta.pk.attname
            yield _Link(source, pk, _label(instance_type))
        for private in source._meta.private_fields:
            if isinstance(private, GenericForeignKey):
                yield _Link(source, private.fk_field, generic, private.ct_field + "_id")
        if "content_type" in names and names & {"object_id", "object_pk"}:  # admin's log
            column = "object_pk" if "object_pk" in names else "object_id"
            if not any(isinstance(p, GenericForeignKey) for p in source._meta.private_fields):
                yield _Link(source, column, generic, "content_type_id")


@dataclass
class Plan:
    """The rows to delete: primary keys per model label, in the order found."""

    rows: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    models_: dict[str, type[models.Model]] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)  # (source, target): source first


def _content_types() -> dict[int, str]:
    return {
        ct.pk: _label(ct.model_class())  # type: ignore[arg-type]
        for ct in ContentType.objects.all()
        if ct.model_class() is not None
    }


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def dependants_of(case_id: uuid.UUID) -> Plan:
    """Every row that hangs off the case, directly or through another such row, except what
    ``KEPT`` keeps. Reads only."""
    links = list(_links())
    content_types = _content_types()
    found: dict[str, set[Any]] = {CASE: {case_id}}
    plan = Plan()
    frontier = [CASE]
    while frontier:
        target = frontier.pop()
        keys = sorted(found[target], key=str)
        for link in links:
            source = _label(link.source)
            if source in KEPT:
                continue
            if link.content_type is None and link.target != target:
                continue
            hits: set[Any] = set()
            for chunk in _chunks(keys):
                rows = link.source._base_manager.all()
                if link.content_type is None:
                    rows = rows.filter(**{f"{link.column}__in": chunk})
                else:
                    type_ids = [pk for pk, name in content_types.items() if name == target]
                    rows = rows.filter(
                        **{
                            f"{link.content_type}__in": type_ids,
                            f"{link.column}__in": [str(k) for k in chunk],
                        }
                    )
                hits |= set(rows.values_list("pk", flat=True))
            if not hits:
                continue
            plan.models_[source] = link.source
            if source != target:
                plan.edges.add((source, target))
            new = hits - found.get(source, set())
            if new:
                found.setdefault(source, set()).update(new)
                plan.rows[source] |= new
                frontier.append(source)
    return plan


def _delete_order(plan: Plan) -> list[str]:
    """Rows that point at others go before the rows they point at."""
    left = set(plan.rows)
    order: list[str] = []
    while left:
        free = sorted(
            label for label in left if not any(t == label and s in left for s, t in plan.edges)
        )
        if not free:  # a cycle: the database's own constraints decide (none exists today)
            free = sorted(left)
        order += free
        left -= set(free)
    return order


@dataclass(frozen=True)
class FileCount:
    files: int
    missing: int


def _files_discard(names: list[str]) -> FileCount:
    """Remove the case's evidence files and any partial copy; one already gone is counted."""
    missing = 0
    for name in names:
        if not evidence_path(name).exists():
            missing += 1
        file_discard(name)
    return FileCount(files=len(names) - missing, missing=missing)


def _clocks_scrub(case_id: uuid.UUID) -> None:
    """Keep each deadline's kind and whether it was met, dated to the month; empty its
    sealed reason (its key is about to go anyway) and the day it was paused."""
    for clock in Clock._base_manager.filter(case_id=case_id):
        models.QuerySet(model=Clock).filter(pk=clock.pk).update(
            reason=None,
            paused_on=None,
            started_on=clock.started_on.replace(day=1),
            due_on=clock.due_on.replace(day=1),
            stopped_on=clock.stopped_on.replace(day=1) if clock.stopped_on else None,
        )


@dataclass(frozen=True)
class PurgeOutcome:
    case_id: uuid.UUID
    record: DeletionRecord


def _lock(case_id: uuid.UUID) -> Any:
    rows = case_rows_for_system().filter(pk=case_id)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    else:
        rows = rows.select_for_update()
    return rows.first()


def case_purge(
    case_id: uuid.UUID, *, today: dt.date | None = None, checkpoint: Checkpoint = _nothing
) -> PurgeOutcome | None:
    """Purge one case if it is still due (see the module's docstring). Returns ``None`` when
    it is locked by another purge, no longer due, on hold or already purged. Safe to run
    twice, at once or after a crash: each case is purged once, with one record."""
    today = today or timezone.localdate()
    with transaction.atomic():
        case = _lock(case_id)
        if case is None or not case_is_due(case, today):
            return None
        checkpoint("locked")
        names = list(
            Evidence._base_manager.filter(case_id=case_id).values_list("stored_name", "size")
        )
        plan = dependants_of(case_id)
        counts: dict[str, int] = {}
        for label in _delete_order(plan):
            keys = sorted(plan.rows[label], key=str)
            for chunk in _chunks(keys):
                plan.models_[label]._base_manager.filter(pk__in=chunk)._raw_delete(connection.alias)
            counts[label] = len(keys)
            checkpoint(f"deleted {label}")
        _clocks_scrub(case_id)
        case_reduce_to_stub(case_id=case_id)
        checkpoint("stub")
        destroyed = data_key_destroy(case_id=case_id)
        checkpoint("key")
        record = DeletionRecord.objects.create(
            case_id=case_id,
            purged_at=timezone.now(),
            rows=dict(sorted(counts.items())),
            files=len(names),
            bytes=sum(size for _, size in names),
            data_key_destroyed=destroyed,
        )
        event_record(case=case, code="retention.purged", payload={"record": record.pk})
        checkpoint("recorded")
        # Last, so a fault before this point leaves every file in place. A fault after it
        # (the commit failing) leaves the rows and no files: the next run counts them missing.
        found = _files_discard([name for name, _ in names])
        if found.missing:
            record.files_missing = found.missing
            record.save(update_fields=["files_missing"])
        checkpoint("files")
    return PurgeOutcome(case_id=case_id, record=record)


@dataclass(frozen=True)
class PurgeRun:
    purged: list[uuid.UUID]
    skipped: int


def purge_due_cases(
    *,
    today: dt.date | None = None,
    batch_size: int = 100,
    limit: int | None = None,
    checkpoint: Checkpoint = _nothing,
) -> PurgeRun:
    """Purge every case due today, a case per transaction, in batches of ``batch_size``
    (``limit`` cases at most). Logs the run as a staff event with its count only."""
    today = today or timezone.localdate()
    due = cases_due(today)
    if limit is not None:
        due = due[:limit]
    purged: list[uuid.UUID] = []
    for start in range(0, len(due), batch_size):
        for case_id in due[start : start + batch_size]:
            outcome = case_purge(case_id, today=today, checkpoint=checkpoint)
            if outcome is not None:
                purged.append(case_id)
    if purged:
        staff_event_record(
            code="retention.purge_run", actor=None, payload={"cases": len(purged), "dry_run": False}
        )
    return PurgeRun(purged=purged, skipped=len(due) - len(purged))
