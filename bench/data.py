"""Case-shaped rows in bulk for the benchmarks, with a fixed seed.

``skeleton_cases`` inserts cases with the columns that lists, scans, reports and retention
read (type, category, unit, state, days, outcome, clocks, per-case grants) in set-based
``INSERT`` batches, bypassing the services on purpose: a benchmark needs 100,000 cases in
seconds, not hours. Each case is nevertheless made with the application's own primitives, so
that it opens through the real pages: a data key of its own wrapped under the master key, its
answers sealed under it, the digest of a real token, and its ``case.created`` event linked as
the first link of its audit chain. (Messages, notes, actions and history rows are not made
here; items that need them file and work their cases through the services.) Configuration
(case types, categories, units, staff, teams) comes from the demonstration data, as a
newcomer sees it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, connections, models, transaction
from django.utils import timezone

from cases.audit import case_chain, event_body, link_mac
from cases.dbroles import connected_as_owner
from cases.keys import data_key_prepare
from cases.models import (
    DEFAULT_OUTCOMES,
    AuditHead,
    Case,
    CaseEvent,
    CaseType,
    Category,
    DataKey,
    OrganisationalUnit,
)
from cases.tokens import token_digest, token_generate
from permissions.models import CaseUserPermission
from workflows import registry
from workflows.models import Clock
from workflows.spec import ClockKind

BATCH = 5_000
TODAY = dt.date(2026, 11, 30)


@dataclass(frozen=True)
class Generated:
    cases: int
    clocks: int
    grants: int
    handler_id: int
    handler_cases: int


def insert_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Insert plain rows into ``model``'s table in batches, each in its own transaction (a
    savepoint inside a caller's); values are prepared by the model's own fields, so one
    function serves SQLite and PostgreSQL. On PostgreSQL the rows go by ``COPY``, which sends
    them as one stream and fires the same row triggers as an ``INSERT`` (the rollups' below):
    B5's input (110,000 cases with their rows) took most of its time in ``executemany``.

    One transaction per batch, not one for everything: the reports' rollup triggers
    (decision 0023) update the same few thousand rows for every case inserted, and
    PostgreSQL keeps every version of a row that one transaction wrote until that
    transaction ends, so a million cases in one transaction slow down as they go."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    db = connections[connection.alias]  # not the proxy: it is asked once per value
    count = 0
    for batch in _batches(rows, BATCH):
        # Columns the rows leave out take the model's defaults, as a save would give them
        # (not an auto-incremented key, which the database numbers).
        missing = {
            n: f.get_default()
            for n, f in fields.items()
            if n not in batch[0] and not f.db_returning
        }
        batch = [{**missing, **row} for row in batch]
        names = list(batch[0])
        columns = ", ".join(connection.ops.quote_name(str(fields[n].column)) for n in names)
        table = connection.ops.quote_name(model._meta.db_table)
        prepare = [(n, fields[n].get_db_prep_save) for n in names]
        params = [[save(row[n], db) for n, save in prepare] for row in batch]
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in params:
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * len(names))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (names from the model)
                cursor.executemany(sql, params)
        count += len(batch)
    return count


def vacuum_analyse() -> None:
    """Planner statistics for every table, and on PostgreSQL the dead rows of earlier runs
    vacuumed away, as autovacuum keeps a live database. This machine's PostgreSQL runs with
    autovacuum off: without statistics the purge's clock update read its whole table to find
    a thousand rows (B5), and the case list's counts and page took 80 ms instead of 20 on a
    database B5 and B7 had grown since B1 analysed it (the HTTP load run). Only the tables'
    owner may."""
    with connected_as_owner() as owner, owner.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if owner.vendor == "postgresql" else "ANALYZE")


def prep_value(model: type[models.Model], name: str, value: Any) -> Any:
    """``value`` as the model's field ``name`` sends it to the database (raw SQL's params)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_db_prep_save(value, connection)


def history_columns(model: type[models.Model], history: type[models.Model]) -> str:
    """The quoted columns a django-simple-history row copies from its model's row, for an
    ``INSERT INTO <history> (...) SELECT ... FROM <table>`` written by hand."""
    names = {f.column for f in model._meta.concrete_fields}
    kept = [str(f.column) for f in history._meta.concrete_fields if f.column in names]
    return ", ".join(connection.ops.quote_name(c) for c in kept)


def chain_problems(case_id: uuid.UUID) -> list[str]:
    """What ``cases.audit.chain_check`` finds wrong with a case's chain of events (nothing,
    for rows written right): how the items check that a raw side linked its events."""
    from cases.audit import case_chain, chain_check, event_body
    from cases.models import AuditHead, CaseEvent

    chain = case_chain(case_id)
    links = [
        (
            e.pk,
            e.seq,
            e.mac,
            event_body(code=e.code, actor_id=e.actor_id, at=e.at, payload=e.payload),
        )
        for e in CaseEvent.objects.filter(case_id=case_id).order_by("seq")
    ]
    head = AuditHead.objects.filter(chain=chain).first()
    return [str(problem) for problem in chain_check(chain, links, head)]


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def configuration() -> None:
    """Case types, categories, units and staff: the demonstration data's."""
    if not CaseType.objects.exists():
        call_command("seed_demo", verbosity=0)


def _reference(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(8))


def skeleton_cases(
    n: int, *, seed: int = 2026, handler_share: int = 1_000, handler: str = "handler"
) -> Generated:
    """Insert ``n`` cases spread over the configured case types, with their clocks, and grant
    ``handler_share`` of them to the demo user ``handler``."""
    configuration()
    rng = random.Random(seed)
    types = list(CaseType.objects.order_by("pk"))
    categories = {
        t.pk: list(Category.objects.filter(case_type=t).values_list("pk", flat=True)) for t in types
    }
    units = list(OrganisationalUnit.objects.values_list("pk", flat=True))
    user = get_user_model().objects.get(username=handler)
    permission = Permission.objects.get(codename="view_case", content_type__app_label="cases")
    references: set[str] = set(Case.objects.values_list("reference", flat=True))
    cases: list[dict[str, Any]] = []
    clocks: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    outcomes = [code for code, _, _ in DEFAULT_OUTCOMES]
    for index in range(n):
        case_type = types[index % len(types)]
        spec = registry.spec_of(case_type.workflow)
        state = rng.choice(spec.states)
        received = TODAY - dt.timedelta(days=rng.randrange(0, 730))
        closed = received + dt.timedelta(days=rng.randrange(5, 200)) if state.closed else None
        if closed and closed > TODAY:
            closed = TODAY
        reference = _reference(rng)
        while reference in references:
            reference = _reference(rng)
        references.add(reference)
        case_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        cipher, key_row = data_key_prepare(case_id=case_id)
        answers = json.dumps({"what_happened": f"Generated report {index}."}).encode()
        cases.append(
            {
                "id": case_id,
                "reference": reference,
                "case_type_id": case_type.pk,
                "category_id": rng.choice(categories[case_type.pk])
                if categories[case_type.pk]
                else None,
                "org_unit_id": rng.choice(units) if units else None,
                "state": state.name,
                "received_on": received,
                "closed_on": closed,
                "reporter_named": rng.random() < 0.2,
                "outcome": rng.choice(outcomes) if state.closed else "",
                "mediation_consented_on": None,
                "police_referred_on": None,
                "answers": cipher.seal(
                    answers, model_label="cases.case", field="answers", row_id=case_id
                ),
                "reporter_contact": None,
                "redacted_answers": None,
                "token_digest": token_digest(token_generate()),
            }
        )
        keys.append(
            {"case_id": case_id, "master_key_id": key_row.master_key_id, "wrapped": key_row.wrapped}
        )
        # A reporter's time: the day only (local midnight), as cases.services.reporter_time.
        at = timezone.make_aware(dt.datetime.combine(received, dt.time.min))
        payload = {"case_type": case_type.slug}
        mac = link_mac(
            chain=case_chain(case_id),
            seq=1,
            prev="",
            body=event_body(code="case.created", actor_id=None, at=at, payload=payload),
        )
        events.append(
            {"case_id": case_id, "code": "case.created", "actor_id": None, "at": at,
             "payload": payload, "seq": 1, "mac": mac}
        )  # fmt: skip
        heads.append({"chain": case_chain(case_id), "seq": 1, "mac": mac})
        if (
            case_type.acknowledge_within_days is not None
            and ClockKind.ACKNOWLEDGE in spec.on_filing
        ):
            clocks.append(_acknowledge_clock(rng, case_id, case_type, spec, state, received))
        if index < handler_share:
            grants.append(
                {
                    "permission_id": permission.pk,
                    "user_id": user.pk,
                    "content_object_id": case_id,
                    "expires_on": None,
                }
            )
    # The cases before what hangs off them, each batch committed as it goes.
    made = insert_rows(Case, cases)
    insert_rows(DataKey, keys)
    insert_rows(AuditHead, heads)
    insert_rows(CaseEvent, events)
    made_clocks = insert_rows(Clock, clocks)
    made_grants = insert_rows(CaseUserPermission, grants)
    return Generated(made, made_clocks, made_grants, user.pk, made_grants)


def granted_handler(username: str, every: int) -> Any:
    """A handler named ``username`` granted ``view_case`` on every ``every``-th case (by id),
    and nothing else: set-based, for items that need a handler of a given size (B1, B6)."""
    from django.contrib.auth.models import Group

    from permissions.roles import Role

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=Role.HANDLER))
    permission = Permission.objects.get(codename="view_case", content_type__app_label="cases")
    with transaction.atomic():
        CaseUserPermission.objects.filter(user=user).delete()
        ids = Case.objects.order_by("pk").values_list("pk", flat=True)
        insert_rows(
            CaseUserPermission,
            (
                {
                    "permission_id": permission.pk,
                    "user_id": user.pk,
                    "content_object_id": case_id,
                    "expires_on": None,
                }
                for index, case_id in enumerate(ids.iterator(chunk_size=5000))
                if index % every == 0
            ),
        )
    return user


def _acknowledge_clock(
    rng: random.Random,
    case_id: uuid.UUID,
    case_type: CaseType,
    spec: Any,
    state: Any,
    received: dt.date,
) -> dict[str, Any]:
    """Running while the case is new; stopped, met or missed, once it has moved on."""
    due = received + dt.timedelta(days=case_type.acknowledge_within_days or 0)
    stopped = None
    if state.name != spec.initial or state.closed:
        stopped = min(received + dt.timedelta(days=rng.randrange(0, 10)), TODAY)
    return {
        "case_id": case_id,
        "kind": ClockKind.ACKNOWLEDGE,
        "stage": "",
        "working_days": False,
        "started_on": received,
        "due_on": due,
        "paused_on": None,
        "stopped_on": stopped,
        "met": None if stopped is None else stopped <= due,
        "missed_recorded": False,
        "reason": None,
    }


def cases_present() -> int:
    return Case.objects.count()


# --- Set-based generation in SQL, for items that need many rows of one shape ----------------
# Fragments for ``INSERT INTO ... SELECT ... FROM <numbers>``: the rows are made by the
# database from a series of numbers, with no row passing through Python.


def numbers_sql(first: int, last: int) -> str:
    """A ``FROM`` item of one column ``i`` holding ``first`` to ``last``."""
    if connection.vendor == "postgresql":
        return f"generate_series({int(first)}, {int(last)}) AS s(i)"
    return (
        f"(WITH RECURSIVE s(i) AS (SELECT {int(first)} UNION ALL SELECT i + 1 FROM s"  # noqa: S608 (numbers)
        f" WHERE i < {int(last)}) SELECT i FROM s) AS s"
    )


def date_plus_sql(day: dt.date, days_sql: str) -> str:
    """The date ``days_sql`` (an integer expression, negative for earlier) after ``day``."""
    if connection.vendor == "postgresql":
        return f"(DATE '{day.isoformat()}' + ({days_sql}))"
    return f"date('{day.isoformat()}', ({days_sql}) || ' days')"


def uuid_sql(prefix: str, number_sql: str) -> str:
    """A UUID made of eight hex digits ``prefix`` and the number: unique per number, and
    recognisable as generated (``prefix`` says by whom)."""
    if len(prefix) != 8 or any(c not in "0123456789abcdef" for c in prefix):
        raise ValueError(f"the prefix must be eight lower-case hex digits, not {prefix!r}")
    if connection.vendor == "postgresql":
        return f"CAST('{prefix}' || lpad(to_hex({number_sql}), 24, '0') AS uuid)"
    return f"('{prefix}' || printf('%024x', {number_sql}))"  # Django's char(32) UUIDs


def padded_sql(number_sql: str, width: int) -> str:
    """The number as text, zero-padded to ``width`` digits."""
    if connection.vendor == "postgresql":
        return f"lpad(CAST({number_sql} AS text), {int(width)}, '0')"
    return f"printf('%0{int(width)}d', {number_sql})"


def staff_client(user: Any) -> Any:
    """A test client signed in as ``user`` with both factors, as the tests' ``sign_in`` does
    (the second factor is enrolled with a random secret if the user has none)."""
    import base64

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.test import Client

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, base64.b32encode(secrets.token_bytes(20)).decode())
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "type": "totp"}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client
