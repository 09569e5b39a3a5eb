"""The purge: deleting cases' content when their retention period has passed.

The only module that deletes case content. Due cases go a batch at a time, each batch one
transaction: wait for the purge's turn (on PostgreSQL an advisory lock, so that the batches of
two purges at once take turns: side by side, a link between their cases deadlocked them), lock
up to ``batch_size`` due case rows (``SELECT ... FOR UPDATE SKIP LOCKED``), check again which
of them are still due and not on hold (and read their evidence files in the same query), then
delete every row that hangs off them (on PostgreSQL one statement per level of the search
below, which finds and deletes at once; on SQLite a search and then a statement per model, for
up to ``_CHUNK`` rows), reduce the case rows to their anonymous stubs and date their clocks to
the month (one statement each), destroy their data keys (crypto-shredding), write one
``DeletionRecord`` per case with counts only and a ``retention.purged`` audit event per case
(one insert each, from arrays), and last remove their evidence files. Killed anywhere before
the commit, nothing of the batch happened and the next run does it all; after the commit its
cases are no longer due, so no second record is written. The number of statements a batch takes
does not depend on its number of cases (``tests/retention/test_purge_batch.py`` counts them);
on PostgreSQL they name their rows with one array parameter each (``cases/batch.py``), are
planned for rows found by key and commit without waiting for the disk (``_batch_settings``; a
batch a crash loses after its commit is one the next run does again, decision 0037).

**What hangs off a case is found, not listed.** Every installed model is read for the ways
a row can point at a case or at a row that is itself being deleted: a foreign key (history
tables' keys included, which have no database constraint), a historical model's copy of its
instance's primary key, a generic (content type, object id) pair such as guardian's generic
permission tables, or a plain ``case_id`` column. A model that another app adds later is
purged without a change here. Only ``KEPT`` survives, each for a stated reason. Each row found
is counted for the case it hangs off, so every case's record says what went of it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.audit import events_record_many
from cases.batch import among, ids_condition, pg_array, rows_insert
from cases.functions import DaysBetween
from cases.keys import data_keys_destroy
from cases.services import cases_reduce_to_stub
from cases.storage import files_discard
from permissions.audit import staff_event_record
from retention.models import DeletionRecord
from retention.selectors import cases_due_rows
from workflows.models import Clock

CASE: Final = "cases.case"
# What survives a purge, and why. Everything else that points at the case goes.
KEPT: Final = {
    CASE: "the anonymous stub: cases.services.STUB_FIELDS",
    "cases.caseevent": "the case's audit events, identifiers only, for their own period "
    "(retention/events.py; decision 4)",
    "permissions.accessrefusal": "refused requests, part of the audit record: identifiers only",
    "retention.deletionrecord": "what the purge removed, counts only",
    "workflows.clock": "deadlines met or missed, for trend reports: reason emptied, months only",
    # Not kept: destroyed last, by the one function that shreds keys.
    "cases.datakey": "destroyed by cases.keys.data_keys_destroy after everything else",
}
# Keys per statement: within every database's limit on parameters (SQLite's is 32,766).
_CHUNK: Final = 5000
BATCH_SIZE: Final = 2000
# The cost of a random page the purge's statements are planned with, and how their batches
# commit (``_batch_settings``).
_RANDOM_PAGE_COST: Final = "1.1"
_SYNCHRONOUS_COMMIT: Final = "off"
# The advisory lock that gives the purge's batches their turns (``_batch_settings``); any
# number no other part of the application locks ("purge" in ASCII).
_TURN: Final = 0x7075726765

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
    """The rows to delete: per model label, each row's primary key and the case it hangs off."""

    rows: dict[str, dict[Any, uuid.UUID]] = field(default_factory=lambda: defaultdict(dict))
    models_: dict[str, type[models.Model]] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)  # (source, target): source first

    def counts(self) -> dict[uuid.UUID, dict[str, int]]:
        """Rows per model label, for each case."""
        per_case: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
        for label in sorted(self.rows):  # so each case's counts come in label order
            for case_id, count in Counter(self.rows[label].values()).items():
                per_case[case_id][label] = count
        return dict(per_case)


def _content_types() -> dict[int, str]:
    return {
        ct.pk: _label(ct.model_class())  # type: ignore[arg-type]
        for ct in ContentType.objects.all()
        if ct.model_class() is not None
    }


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _pointing_sql(
    source: type[models.Model], column: str, values: list[Any], where: dict[str, list[Any]]
) -> tuple[str, list[Any]]:
    """A ``SELECT`` of ``(pk, column)`` as text, for the rows of ``source`` whose ``column``
    (an attribute name) is one of ``values`` and whose ``where`` columns are among theirs:
    plain SQL, as the ORM spends more time preparing long lists than the database answering."""
    qn = connection.ops.quote_name
    fields = {f.attname: f for f in source._meta.concrete_fields}
    conditions, params = [], []
    for name, allowed in [(column, values), *where.items()]:
        condition, prepared = _among(fields[name], allowed)
        conditions.append(condition)
        params += prepared
    pk = source._meta.pk
    sql = (
        f"SELECT CAST({qn(str(pk.column))} AS TEXT), "  # noqa: S608 (names from the model)
        f"CAST({qn(str(fields[column].column))} AS TEXT) "
        f"FROM {qn(source._meta.db_table)} WHERE {' AND '.join(conditions)}"
    )
    return sql, params


def _among(field_: Any, values: list[Any]) -> tuple[str, list[Any]]:
    """``column = ANY(array)`` (PostgreSQL) or ``column IN (values)``, and its parameters."""
    return ids_condition(connection.ops.quote_name(field_.column), field_, values)


def _rows_delete(model: type[models.Model], pks: list[Any]) -> None:
    """Delete rows by primary key: no signals, so simple-history writes nothing back."""
    pk = model._meta.pk
    for chunk in _chunks(pks):
        condition, params = _among(pk, chunk)
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {condition}", params)  # noqa: S608


def _asked(
    link: _Link, target: str, keys: dict[Any, uuid.UUID], types: dict[int, str]
) -> Iterator[tuple[str, list[Any]]]:
    """The queries for the rows of ``link.source`` that point at one of ``keys``."""
    values: list[Any] = list(keys)
    where: dict[str, list[Any]] = {}
    if link.content_type is not None:  # a generic pair: text ids, of the target's type
        type_ids = [pk for pk, name in types.items() if name == target]
        if not type_ids:
            return
        where = {link.content_type: type_ids}
        values = [str(key) for key in keys]
    for chunk in _chunks(values):
        yield _pointing_sql(link.source, link.column, chunk, where)


def _text(value: Any) -> str:
    # Ids are matched as text without dashes: a UUID reads back as 32 hex digits on SQLite,
    # with dashes on PostgreSQL and in a generic pair's text column.
    return str(value).replace("-", "")


def _found_rows(queries: list[tuple[int, str, list[Any]]]) -> list[tuple[int, str, str]]:
    """``(link, pk, column)`` as text for each of the queries, run one by one (SQLite, which
    is in-process)."""
    rows: list[tuple[int, str, str]] = []
    with connection.cursor() as cursor:
        for n, sql, params in queries:
            cursor.execute(sql, params)
            rows += [(n, pk, ref) for pk, ref in cursor.fetchall()]
    return rows


def _arms_pg(
    links: list[tuple[int, _Link]], target: str, types: dict[int, str], keys: str
) -> list[tuple[int, _Link, str, str, str]]:
    """For each way of pointing at rows of ``target``: its number, its link, and the quoted
    primary key, pointing column and condition (``column = ANY`` the keys the ``WITH`` part
    named ``keys`` holds), for a statement that gives the keys once, as one array (see
    ``_deleted_rows_pg``)."""

    def qn(name: str | None) -> str:
        return connection.ops.quote_name(str(name))

    key_type = apps.get_model(target)._meta.pk.rel_db_type(connection)
    arms = []
    for n, link in links:
        fields = {f.attname: f for f in link.source._meta.concrete_fields}
        column = qn(fields[link.column].column)
        pk = qn(fields[link.source._meta.pk.attname].column)
        where = f"{column} = ANY((SELECT v FROM {keys})::{key_type}[])"  # noqa: S608 (model names)
        if link.content_type is not None or fields[link.column].db_type(connection) != key_type:
            # A generic pair's object id (or a plain id column) is compared as text.
            where = f"CAST({column} AS TEXT) = ANY((SELECT v FROM {keys})::text[])"  # noqa: S608
        if link.content_type is not None:
            type_ids = [pk_ for pk_, name in types.items() if name == target]
            if not type_ids:
                continue
            content_type = qn(fields[link.content_type].column)
            where += f" AND {content_type} IN ({', '.join(str(int(t)) for t in type_ids)})"
        arms.append((n, link, pk, column, where))
    return arms


def _deleted_rows_pg(
    level: list[tuple[str, list[str], list[tuple[int, _Link]]]], types: dict[int, str]
) -> list[tuple[int, int, str, str]]:
    """Delete, on PostgreSQL, every row that points at one of the keys of a level of the
    search (per model label: the keys of its rows found, as text, and the ways of pointing
    at it) in one statement and one round trip: each way of pointing at each model is a
    data-modifying ``WITH`` part, ``DELETE ... WHERE column = ANY(the keys) RETURNING`` the
    row's key and the key it pointed at, which each table's index answers; each model's keys
    go once, as one array literal (``cases.batch.pg_array``). Searching first and deleting by
    key after took two statements a table and twice the reading, and a statement per model
    of the level a round trip and a plan each. Order does not matter within the statement:
    every foreign key Django makes is checked at commit (``DEFERRABLE INITIALLY DEFERRED``),
    and a row two parts reach is deleted, and returned, once. Returns ``(the model's place in
    the level, the link's number, key, key pointed at)`` for each row deleted."""
    qn = connection.ops.quote_name
    keys_parts, parts, selects, params = [], [], [], []
    place_of: list[tuple[int, int]] = []  # per arm: the model's place in the level, the link
    for place, (target, keys, links) in enumerate(level):
        arms = _arms_pg(links, target, types, f"k{place}")
        if not arms:
            continue
        key_type = apps.get_model(target)._meta.pk.rel_db_type(connection)
        keys_parts.append(f"k{place}(v) AS (SELECT %s::{key_type}[])")
        params.append(pg_array(keys))
        for n, link, pk, column, where in arms:
            arm = len(place_of)
            place_of.append((place, n))
            parts.append(
                f"d{arm} AS (DELETE FROM {qn(link.source._meta.db_table)} WHERE {where} "  # noqa: S608
                f"RETURNING {arm}, CAST({pk} AS TEXT), CAST({column} AS TEXT))"
            )
            selects.append(f"SELECT * FROM d{arm}")  # noqa: S608 (numbers)
    if not parts:
        return []
    sql = "WITH " + ", ".join(keys_parts + parts) + " " + " UNION ALL ".join(selects)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(*place_of[arm], pk, ref) for arm, pk, ref in cursor.fetchall()]


def dependants_of(case_ids: list[uuid.UUID]) -> Plan:
    """Every row that hangs off the cases, directly or through another such row, except what
    ``KEPT`` keeps, each with the case it hangs off. Reads only: one query per way of
    pointing at each level, however many cases (the purge's search on SQLite, which is
    in-process; on PostgreSQL the purge searches and deletes at once,
    ``_dependants_delete_pg``)."""
    links = [link for link in _links() if _label(link.source) not in KEPT]
    types = _content_types()
    found: dict[str, dict[Any, uuid.UUID]] = {CASE: {case_id: case_id for case_id in case_ids}}
    plan = Plan()
    frontier = [(CASE, found[CASE])]
    while frontier:
        target, keys = frontier.pop()
        # Each row found names its target as text: found as written or, failing that,
        # without dashes (``_text``: SQLite writes a UUID as 32 hex digits).
        as_written = {str(key): case_id for key, case_id in keys.items()}
        by_text = {_text(key): case_id for key, case_id in keys.items()}
        pointing = [
            (n, link)
            for n, link in enumerate(links)
            if link.content_type is not None or link.target == target
        ]
        asked = [
            (n, sql, params)
            for n, link in pointing
            for sql, params in _asked(link, target, keys, types)
        ]
        answered = _found_rows(asked)
        hits: dict[int, list[tuple[Any, uuid.UUID]]] = defaultdict(list)
        for n, pk, ref in answered:
            pk_field = links[n].source._meta.pk
            case_id = as_written.get(ref) or by_text[_text(ref)]
            hits[n].append((pk_field.to_python(pk), case_id))
        for n, rows in hits.items():
            source = _label(links[n].source)
            plan.models_[source] = links[n].source
            if source != target:
                plan.edges.add((source, target))
            seen = found.setdefault(source, {})
            new = {pk: case_id for pk, case_id in rows if pk not in seen}
            if new:
                seen.update(new)
                plan.rows[source].update(new)
                frontier.append((source, new))
    return plan


def _dependants_delete_pg(case_ids: list[uuid.UUID], checkpoint: Checkpoint) -> Plan:
    """``dependants_of`` and their deletion at once, on PostgreSQL: one statement per level
    of the search (``_deleted_rows_pg``), each deleting what points at any row the level
    before found, whatever its model. Rows are named by their keys as PostgreSQL writes them
    (text), which the next level gives back as they came: no key is parsed in Python."""
    links = [link for link in _links() if _label(link.source) not in KEPT]
    types = _content_types()
    labels = {n: _label(link.source) for n, link in enumerate(links)}
    sources = {_label(link.source): link.source for link in links}
    plan = Plan()
    level: list[tuple[str, dict[str, uuid.UUID]]] = [
        (CASE, {str(case_id): case_id for case_id in case_ids})
    ]
    while level:
        asked = [
            (
                target,
                list(keys),
                [
                    (n, link)
                    for n, link in enumerate(links)
                    if link.content_type is not None or link.target == target
                ],
            )
            for target, keys in level
        ]
        hits: dict[str, dict[str, uuid.UUID]] = defaultdict(dict)
        for place, n, pk, ref in _deleted_rows_pg(asked, types):
            hits[labels[n]][pk] = level[place][1][ref]
        level = []
        for label in sorted(hits):
            plan.models_[label] = sources[label]
            plan.rows[label].update(hits[label])
            level.append((label, hits[label]))
            checkpoint(f"deleted {label}")
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


def _files_discard(files: list[tuple[uuid.UUID, str]]) -> Counter[uuid.UUID]:
    """Remove the cases' evidence files and any partial copy; returns, per case, how many
    were already gone (counted, not fatal)."""
    owner = {name: case_id for case_id, name in files}
    return Counter(owner[name] for name in files_discard(list(owner)))


def _clocks_scrub(case_ids: list[uuid.UUID]) -> None:
    """Keep each deadline's kind, whether it was met and how many days it ran, dated to the
    month; empty its sealed reason (its key is about to go anyway) and the day it paused."""
    month = {
        name: TruncMonth(name, output_field=models.DateField())
        for name in ("started_on", "due_on", "stopped_on")
    }
    models.QuerySet(model=Clock).filter(among("case_id", case_ids)).update(
        reason=None,
        paused_on=None,
        # The days it ran, read before the dates are cut, for the reports' medians.
        days_taken=DaysBetween("started_on", "stopped_on"),
        **month,
    )


def _lock(
    today: dt.date, size: int, only: list[uuid.UUID] | None
) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, str, int]]]:
    """Lock up to ``size`` due case rows, skipping those another purge holds, and return
    those still due when asked again under the lock (a hold placed or a case reopened
    meanwhile is left alone), with their evidence files (case, stored name, size) read by
    the same query."""
    due = cases_due_rows(today)  # reads the policies once for both questions
    # In no order: the database stops at the batch's size instead of sorting every due case.
    rows = due.order_by()
    if only is not None:
        rows = rows.filter(pk__in=only)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    else:
        rows = rows.select_for_update()
    locked = list(rows.values_list("pk", flat=True)[:size])
    if not locked:
        return [], []
    # A new statement, so a new snapshot: it sees a hold committed since the first.
    again = (
        due.filter(among("pk", locked))
        .order_by()
        .values_list("pk", "evidence__stored_name", "evidence__size")
    )
    still: set[uuid.UUID] = set()
    evidence = []
    for case_id, name, size_ in again:
        still.add(case_id)
        if name is not None:
            evidence.append((case_id, name, size_))
    return [case_id for case_id in locked if case_id in still], evidence


@contextmanager
def _batch_settings(*, put_back: bool) -> Iterator[None]:
    """Inside a batch's transaction, on PostgreSQL, wait for the purge's turn and set two
    settings, in one statement (``SET LOCAL``: they end with the transaction).

    **One batch at a time.** A batch first takes a transaction-level advisory lock
    (``_TURN``), so the batches of two purges running at once (two schedulers, or the command
    beside the nightly task) take turns. Side by side they deadlocked: a link between a case
    in one batch and a case in the other is two rows, and each batch deletes both, the one
    from its own case first (``tests/retention/test_purge_faults.py``). Nothing was lost (the
    batch PostgreSQL chose rolled back and its run failed), but a run should not fail because
    another ran. Two batches at once were not faster either: on two cores, 5,000 cases took
    5.0 s in two threads against 4.2 s in one.

    When the batch is a savepoint in a
    caller's transaction (``put_back``), they are put back at its end, for the rest of that
    transaction; when it is its own transaction they must **not** be: the commit, after this
    block ends, is what commits asynchronously (``synchronous_commit`` counts as it stands at
    the commit).

    **Rows found by key.** Every statement of a batch finds at most a few thousand rows by
    key. At PostgreSQL's default cost of a random page (4, a spinning disk's), a thousand
    index probes look dearer than reading a table of a few hundred thousand rows whole, so
    the batch's chain heads, clocks and data keys were read whole, every batch (B5,
    docs/performance.md). Priced as memory and SSDs serve pages (``_RANDOM_PAGE_COST``).

    **Committed without waiting for the disk** (``synchronous_commit = off``, decision 0037).
    A batch that a crash of the server loses after its commit returned is a batch the next
    run does again, whole: its cases are still due (their deletion records went with it),
    so they are locked, emptied, recorded and their ``retention.purged`` events chained
    afresh, and files removed already are counted missing, as after a commit that failed.
    PostgreSQL loses only a suffix of its log, never a transaction that a later durable
    commit came after, so nothing that read the batch survives a crash that the batch did
    not (``tests/retention/test_purge_faults.py``); the run's staff event, committed as the
    server is set, makes every batch before it durable. The rest of the application keeps
    the server's setting: its commits are answers someone was given."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('random_page_cost'), current_setting('synchronous_commit'), "
            "set_config('random_page_cost', %s, true), set_config('synchronous_commit', %s, true), "
            "pg_advisory_xact_lock(%s)",
            [_RANDOM_PAGE_COST, _SYNCHRONOUS_COMMIT, _TURN],
        )
        (cost, synchronous, _, _, _) = cursor.fetchone()
    yield
    if not put_back:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('random_page_cost', %s, true), "
            "set_config('synchronous_commit', %s, true)",
            [cost, synchronous],
        )


def _records_write(
    case_ids: list[uuid.UUID],
    plan: Plan,
    evidence: list[tuple[uuid.UUID, str, int]],
    destroyed: set[uuid.UUID],
) -> dict[uuid.UUID, int]:
    """One deletion record per case and its ``retention.purged`` event: a statement for the
    records, three for the events however many cases. Returns each case's record id."""
    counts = plan.counts()
    files: Counter[uuid.UUID] = Counter(case_id for case_id, _, _ in evidence)
    sizes: Counter[uuid.UUID] = Counter()
    for case_id, _, size_ in evidence:
        sizes[case_id] += size_
    made = rows_insert(
        DeletionRecord,
        {
            "case_id": case_ids,
            "rows": [counts.get(case_id, {}) for case_id in case_ids],
            "files": [files[case_id] for case_id in case_ids],
            "bytes": [sizes[case_id] for case_id in case_ids],
            "data_key_destroyed": [case_id in destroyed for case_id in case_ids],
        },
        same={"purged_at": timezone.now()},
        returning=("id", "case_id"),
    )
    case_field = DeletionRecord._meta.get_field("case")
    records = {case_field.to_python(case_id): pk for pk, case_id in made}
    events_record_many(
        code="retention.purged",
        payloads={case_id: {"record": records[case_id]} for case_id in case_ids},
    )
    return records


def _batch_purge(
    today: dt.date, size: int, checkpoint: Checkpoint, only: list[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Purge one batch of due cases in one transaction (see the module's docstring); returns
    the cases purged."""
    # Its own transaction unless a caller's goes on: then the settings are put back for it.
    own = not connection.in_atomic_block
    with transaction.atomic(), _batch_settings(put_back=not own):
        case_ids, evidence = _lock(today, size, only)
        if not case_ids:
            return []
        checkpoint("locked")
        if connection.vendor == "postgresql":
            plan = _dependants_delete_pg(case_ids, checkpoint)
        else:
            plan = dependants_of(case_ids)
            for label in _delete_order(plan):
                _rows_delete(plan.models_[label], list(plan.rows[label]))
                checkpoint(f"deleted {label}")
        _clocks_scrub(case_ids)
        cases_reduce_to_stub(case_ids=case_ids)
        checkpoint("stub")
        destroyed = data_keys_destroy(case_ids=case_ids)
        checkpoint("key")
        records = _records_write(case_ids, plan, evidence, destroyed)
        checkpoint("recorded")
        # Last, so a fault before this point leaves every file in place. A fault after it
        # (the commit failing) leaves the rows and no files: the next run counts them missing.
        missing = _files_discard([(case_id, name) for case_id, name, _ in evidence])
        if missing:
            DeletionRecord.objects.bulk_update(
                [DeletionRecord(pk=records[c], files_missing=n) for c, n in missing.items()],
                ["files_missing"],
            )
        checkpoint("files")
    return case_ids


def case_purge(
    case_id: uuid.UUID, *, today: dt.date | None = None, checkpoint: Checkpoint = _nothing
) -> DeletionRecord | None:
    """Purge one case if it is still due, as a batch of one. Returns its deletion record, or
    ``None`` when it is locked by another purge, no longer due, on hold or already purged."""
    if not _batch_purge(today or timezone.localdate(), 1, checkpoint, only=[case_id]):
        return None
    return DeletionRecord.objects.get(case_id=case_id)


@dataclass(frozen=True)
class PurgeRun:
    purged: int  # cases
    batches: int


def purge_due_cases(
    *,
    today: dt.date | None = None,
    batch_size: int = BATCH_SIZE,
    limit: int | None = None,
    checkpoint: Checkpoint = _nothing,
) -> PurgeRun:
    """Purge every case due today, ``batch_size`` cases per transaction (``limit`` cases at
    most), until none is left that another purge does not hold. Safe to run twice, at once
    or after a crash: each case is purged once, with one record. Memory stays that of one
    batch however many cases are due. Logs the run as a staff event with its count only."""
    today = today or timezone.localdate()
    purged = batches = 0
    while limit is None or purged < limit:
        size = batch_size if limit is None else min(batch_size, limit - purged)
        done = len(_batch_purge(today, size, checkpoint))
        if not done:
            break
        purged, batches = purged + done, batches + 1
    if purged:
        staff_event_record(
            code="retention.purge_run", actor=None, payload={"cases": purged, "dry_run": False}
        )
    return PurgeRun(purged=purged, batches=batches)
