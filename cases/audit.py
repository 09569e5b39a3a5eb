"""The audit record: the only module that writes ``CaseEvent`` rows and links audit chains.

Every change and every view of a case adds one event, in the same transaction as the change,
so a change without its event (or an event without its change) cannot be committed. An event
holds a dotted code, the acting staff user, the time and a small payload. Payload keys are
declared per code and values are short identifiers, numbers or flags, so no free text, and so
no case content or reporter identifier, can reach the audit record. The registry turns codes
into sentences for the case timeline.

Tamper evidence (docs/decisions/0015-audit-integrity.md): each case's events, and the refused
access attempts, form a chain. Every link carries its place (``seq``, from 1) and an HMAC of
its contents and the link before it, under a key that never enters the database; the chain's
head (``AuditHead``) is locked while a link is added, so two appends cannot take the same
place. ``audit_verify`` walks every chain and names any link changed, removed, inserted or
moved, and any chain whose newest links are gone.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.batch import ids_condition, pg_array, rows_insert
from cases.exceptions import UnknownAuditEvent
from cases.models import AuditHead, AuditVerification, Case, CaseEvent, LinkKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.utils.functional import _StrPromise

# Payload values are identifiers (state names, kinds, content types), never prose.
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:/+\- ]{0,64}$")
PayloadValue = str | int | bool | None


@dataclass(frozen=True)
class EventType:
    code: str
    sentence: _StrPromise | str
    payload_keys: frozenset[str]


REGISTRY: dict[str, EventType] = {}


def register(code: str, sentence: _StrPromise | str, *payload_keys: str) -> EventType:
    """Declare an event code, its timeline sentence and the payload keys it may carry.

    The sentence is formatted with ``actor`` and the payload keys, e.g.
    ``"{actor} moved the case from {source} to {target}."``.
    """
    if code in REGISTRY:
        raise ValueError(f"Audit event {code!r} is registered twice.")
    event_type = EventType(code=code, sentence=sentence, payload_keys=frozenset(payload_keys))
    REGISTRY[code] = event_type
    return event_type


register("case.created", _("The case was received."), "case_type")
register(
    "case.recorded_on_behalf",
    _("{actor} recorded the report on the reporter's behalf (received by {channel})."),
    "channel",
)
register("case.viewed", _("{actor} viewed the case."), "view")
register("case.viewed_by_reporter", _("The reporter viewed the case."))
register(
    "case.transitioned",
    _("{actor} moved the case from {source} to {target}."),
    "source",
    "target",
    "transition",
)
register(
    "case.data_unreadable", _("Part of the case ({field}) failed its integrity check."), "field"
)
register("message.added", _("{actor} added a message ({kind})."), "kind")
register("evidence.attached", _("{actor} attached evidence ({kind})."), "kind")
register("action.added", _("{actor} added an action."))
register(
    "case.assigned",
    _("{actor} assigned the case to {assignee} as {role}."),
    "assignee",
    "role",
    "until",  # an appeal decision-maker's last day (decision 0032)
)
register(
    "case.appeal_access_ended",
    _("{user} no longer has access to decide the appeal: the case has left it."),
    "user",
)
register("case.team_assigned", _("{actor} assigned the case to team {team}."), "team")
register("case.unassigned", _("{actor} removed an assignment."), "assignee", "team")
register(
    "case.assignment_refused",
    _("{actor} tried an assignment that was refused ({reason})."),
    "reason",
)
register(
    "case.exclusion_added",
    _("{actor} excluded {user} from the case ({kind})."),
    "user",
    "kind",
)
register("case.exclusion_confirmed", _("{actor} confirmed the exclusion of {user}."), "user")
register("case.recused", _("{actor} stepped aside from the case."), "user", "kind")
register(
    "case.transition_refused",
    _("{actor} tried to {transition}, which was refused ({reason})."),
    "transition",
    "reason",
)
register("case.categorised", _("{actor} set the category."))
register("case.redacted", _("{actor} saved a redacted version of the report."))
register("case.police_referred", _("{actor} recorded a referral to the police."))
register("case.support_offered", _("{actor} recorded support offered to the {party}."), "party")
register("clock.met", _("The deadline to {clock} (due {due_on}) was met."), "clock", "due_on")
register("clock.missed", _("The deadline to {clock} (due {due_on}) was missed."), "clock", "due_on")
register(
    "clock.overdue", _("The deadline to {clock} (due {due_on}) has passed."), "clock", "due_on"
)
register("clock.paused", _("{actor} paused the deadline to {clock}."), "clock")
register(
    "clock.resumed",
    _("{actor} resumed the deadline to {clock}, now due {due_on}."),
    "clock",
    "due_on",
)
register(
    "clock.extended",
    _("{actor} extended the deadline to {clock} by {days} days, now due {due_on}."),
    "clock",
    "days",
    "due_on",
)
register("action.completed", _("{actor} completed an action."))
# The reporter's check-in after closure (docs/decisions/0020-reporter-check-in.md).
register(
    "case.checkin_answered",
    _("The reporter answered the check-in after closure ({answer})."),
    "answer",
)
register(
    "case.checkin_opened_case",
    _("The reporter's check-in opened a new case, {linked}."),
    "linked",
)
register(
    "case.opened_by_checkin",
    _("The case was opened by a reporter's answer to the check-in after an earlier case."),
)
# Sharing with external investigators (docs/decisions/0024-investigator-sharing.md).
register(
    "case.item_shared",
    _("{actor} shared a {item} with the investigators."),
    "item",
    "id",
    "redacted",
)
register(
    "case.item_unshared",
    _("{actor} stopped sharing a {item} with the investigators."),
    "item",
    "id",
)
register("case.attention_cleared", _("{actor} recorded that the check-in was dealt with."))
# Confidential reporting (docs/decisions/0031-confidential-reporting.md): never the name,
# never the reason, which stay sealed.
register("case.identity_viewed", _("{actor} looked at the confidential reporter's identity."))
register(
    "case.identity_shared_by_reporter",
    _("The reporter agreed that those working the case may see their name."),
)
register(
    "case.identity_revealed",
    _("{actor} revealed the confidential reporter's identity to those working the case."),
)
# Linked cases (docs/decisions/0033-linked-cases.md): the other case by its id, never the note.
# The timeline shows these only to someone who may see the other case too
# (``cases.selectors.event_list_for_staff``), naming it by its reference.
register(
    "case.linked",
    _("{actor} linked this case to {other_case} ({link_kind})."),
    "other_case",
    "link",
    "link_kind",
)
register(
    "case.unlinked",
    _("{actor} removed the link between this case and {other_case}."),
    "other_case",
    "link",
)
LINK_CODES = frozenset({"case.linked", "case.unlinked"})


def payload_check(code: str, keys: frozenset[str], payload: dict[str, PayloadValue]) -> None:
    """The rule of every audit record's payload (case events, staff events): only the keys
    declared for ``code``, each a short identifier, number or flag, so no free text (no
    content, no address) can reach the record. ``ValueError`` otherwise."""
    unknown = set(payload) - keys
    if unknown:
        raise ValueError(f"Audit event {code!r} takes no payload key {sorted(unknown)}.")
    for key, value in payload.items():
        if isinstance(value, str) and not _SAFE_TEXT.match(value):
            raise ValueError(f"Audit payload {key!r} must be a short identifier, not free text.")
        if not isinstance(value, str | int | bool | type(None)):
            raise ValueError(f"Audit payload {key!r} must be a string, number or flag.")


def event_record(
    *,
    case: Case,
    code: str,
    actor: User | None = None,
    payload: dict[str, PayloadValue] | None = None,
    at: dt.datetime | None = None,
    new_chain: bool = False,
) -> CaseEvent:
    """Append one audit event for ``case``. Call it inside the transaction of the change.

    Raises ``UnknownAuditEvent`` for an unregistered code and ``ValueError`` for a payload
    that is not declared or not an identifier. ``at`` lets reporter-originated events be
    stored to the day (see ``cases.services.reporter_time``). ``new_chain``: the case was
    created in this transaction, so its chain has no head yet (``chain_extend``).
    """
    event_type = REGISTRY.get(code)
    if event_type is None:
        raise UnknownAuditEvent(f"Audit event code {code!r} is not registered.")
    data = dict(payload or {})
    payload_check(event_type.code, event_type.payload_keys, data)
    at = at or timezone.now()
    body = event_body(code=code, actor_id=actor.pk if actor else None, at=at, payload=data)
    # Its own transaction when called outside one: the head stays locked until the commit.
    with transaction.atomic(savepoint=False):
        seq, mac = chain_append(chain=case_chain(case.pk), body=body, new=new_chain)
        return CaseEvent.objects.create(
            case=case, code=code, actor=actor, at=at, payload=data, seq=seq, mac=mac
        )


@dataclass(frozen=True)
class Event:
    """One event of a change, waiting to be recorded with the others (``events_record``)."""

    code: str
    actor: User | None = None
    payload: dict[str, PayloadValue] = field(default_factory=dict)


def events_record(*, case: Case, events: Sequence[Event]) -> int:
    """Append the events of one change to ``case``'s chain, in order: the same checks, rows
    and links as ``event_record`` one by one, but with the chain's head locked and moved once
    and the rows inserted in one statement (a transition and the deadlines it stops), as
    ``events_record_many`` inserts its rows, without making model instances. Call it inside
    the transaction of the change. Raises as ``event_record`` does, before writing. Returns
    the number of events recorded."""
    at = timezone.now()
    codes: list[str] = []
    actors: list[int | None] = []
    payloads: list[dict[str, PayloadValue]] = []
    for event in events:
        event_type = REGISTRY.get(event.code)
        if event_type is None:
            raise UnknownAuditEvent(f"Audit event code {event.code!r} is not registered.")
        data = dict(event.payload)
        payload_check(event_type.code, event_type.payload_keys, data)
        codes.append(event.code)
        actors.append(event.actor.pk if event.actor is not None else None)
        payloads.append(data)
    if not codes:
        return 0
    bodies = [
        event_body(code=code, actor_id=actor_id, at=at, payload=payload)
        for code, actor_id, payload in zip(codes, actors, payloads, strict=True)
    ]
    with transaction.atomic(savepoint=False):
        links = chain_extend(chain=case_chain(case.pk), bodies=bodies)
        rows_insert(
            CaseEvent,
            {
                "code": codes,
                "actor_id": actors,
                "payload": payloads,
                "seq": [seq for seq, _ in links],
                "mac": [mac for _, mac in links],
            },
            same={"case_id": case.pk, "at": at},
        )
    return len(codes)


def events_record_many(*, code: str, payloads: Mapping[uuid.UUID, dict[str, PayloadValue]]) -> int:
    """Append one system event ``code`` to each case in ``payloads`` (case id -> payload), as
    ``event_record`` would one by one, in three statements however many cases: the heads are
    locked in one query (in chain order, the order every append takes them), the links are
    computed here, the events inserted in one statement and the heads moved in one. For
    batch work such as the retention purge; call it inside the batch's transaction. Returns
    the number of events recorded."""
    event_type = REGISTRY.get(code)
    if event_type is None:
        raise UnknownAuditEvent(f"Audit event code {code!r} is not registered.")
    for payload in payloads.values():
        payload_check(event_type.code, event_type.payload_keys, payload)
    at = timezone.now()
    chains = {case_chain(case_id): case_id for case_id in payloads}
    with transaction.atomic(savepoint=False):
        heads = _heads_lock(sorted(chains))
        missing = [AuditHead(chain=chain) for chain in chains if chain not in heads]
        if missing:  # a case without events yet: its chain starts here
            AuditHead.objects.bulk_create(missing)
            heads.update(_heads_lock(sorted(head.chain for head in missing)))
        case_ids, bodies, places, links = [], [], [], []
        for chain in sorted(chains):
            case_id, (seq, prev) = chains[chain], heads[chain]
            payload = dict(payloads[case_id])
            body = event_body(code=code, actor_id=None, at=at, payload=payload)
            mac = link_mac(chain=chain, seq=seq + 1, prev=prev, body=body)
            heads[chain] = (seq + 1, mac)
            case_ids.append(case_id)
            bodies.append(payload)
            places.append(seq + 1)
            links.append(mac)
        rows_insert(
            CaseEvent,
            {"case_id": case_ids, "payload": bodies, "seq": places, "mac": links},
            same={"code": code, "actor_id": None, "at": at},
        )
        _heads_move(heads)
    return len(case_ids)


def _heads_lock(chains: list[str]) -> dict[str, tuple[int, str]]:
    """Lock these chains' heads, in the order given (chain order, as every append takes
    them, so two batches cannot deadlock): each existing head's ``(seq, mac)``."""
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    condition, params = ids_condition("chain", AuditHead._meta.pk, chains)
    # SQLite has no row locks: its transaction holds the whole database.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chain, seq, mac FROM {table} WHERE {condition} ORDER BY chain{lock}",  # noqa: S608
            params,
        )
        return {chain: (seq, mac) for chain, seq, mac in cursor.fetchall()}


def _heads_move(heads: Mapping[str, tuple[int, str]]) -> None:
    """Write the heads' new places and links in one statement (PostgreSQL: from arrays, the
    heads found by their keys so the database reads only those rows) or one prepared
    statement run for each (SQLite): far cheaper than ``bulk_update``'s CASE."""
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    rows = [(seq, mac, chain) for chain, (seq, mac) in heads.items()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            seqs, macs, chains = (list(column) for column in zip(*rows, strict=True))
            cursor.execute(
                f"UPDATE {table} AS h SET seq = v.seq, mac = v.mac "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(seq, mac, chain) "
                "WHERE h.chain = v.chain AND h.chain = ANY(%s::text[])",
                [pg_array(seqs), pg_array(macs), pg_array(chains), pg_array(chains)],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET seq = %s, mac = %s WHERE chain = %s", rows)  # noqa: S608


# Payload keys that hold a person's user id, a team's id, a workflow state, another case's
# id (32 hex digits) and a kind of link.
PERSON_KEYS = frozenset({"assignee", "user"})
TEAM_KEYS = frozenset({"team"})
STATE_KEYS = frozenset({"source", "target"})
CASE_KEYS = frozenset({"other_case"})
LINK_KIND_KEYS = frozenset({"link_kind"})


def event_sentence(
    event: CaseEvent,
    *,
    people: Mapping[int, str] | None = None,
    teams: Mapping[int, str] | None = None,
    state_words: Callable[[str], str] | None = None,
    references: Mapping[str, str] | None = None,
) -> str:
    """The event as a plain sentence for the case timeline. ``people`` names users by id
    (display name and role; without it, a username or "user 12"), ``teams`` teams by id,
    ``state_words`` says a workflow state in staff's words (without it, its code),
    ``references`` other cases by their id's 32 hex digits (without it, "another case")."""
    event_type = REGISTRY.get(event.code)
    if event_type is None:
        return str(_("An unrecognised event ({code}).")).format(code=event.code)
    people = people or {}
    if event.actor_id is None:
        actor = str(_("The reporter or system"))
    else:
        actor = people.get(event.actor_id) or event.actor.get_username()  # type: ignore[union-attr]
    values: dict[str, Any] = dict.fromkeys(event_type.payload_keys, "")
    values.update(event.payload)
    for key in PERSON_KEYS & values.keys():
        if isinstance(values[key], int):
            values[key] = people.get(values[key]) or str(_("user {id}")).format(id=values[key])
    for key in TEAM_KEYS & values.keys():
        if isinstance(values[key], int) and teams and values[key] in teams:
            values[key] = teams[values[key]]
    if isinstance(values.get("role"), str):  # a role's code, e.g. "external_investigator"
        values["role"] = values["role"].replace("_", " ")
    if state_words is not None:
        for key in STATE_KEYS & values.keys():
            if values[key]:
                values[key] = state_words(str(values[key]))
    for key in CASE_KEYS & values.keys():
        values[key] = (references or {}).get(str(values[key])) or str(_("another case"))
    for key in LINK_KIND_KEYS & values.keys():
        if values[key] in LinkKind.values:
            values[key] = str(LinkKind(values[key]).label).lower()
    return str(event_type.sentence).format(actor=actor, **values)


def event_cases(events: Iterable[CaseEvent]) -> set[str]:
    """The other cases these events' sentences name, by their ids' 32 hex digits."""
    return {
        value
        for event in events
        for key, value in event.payload.items()
        if key in CASE_KEYS and isinstance(value, str)
    }


def event_people(events: Iterable[CaseEvent]) -> tuple[set[int], set[int]]:
    """The user ids and team ids these events' sentences name: actors, and the people and
    teams in their payloads."""
    people: set[int] = set()
    teams: set[int] = set()
    for event in events:
        if event.actor_id is not None:
            people.add(event.actor_id)
        for key, value in event.payload.items():
            if isinstance(value, int) and key in PERSON_KEYS:
                people.add(value)
            elif isinstance(value, int) and key in TEAM_KEYS:
                teams.add(value)
    return people, teams


# --- Chains ---------------------------------------------------------------------------------
# A link's HMAC covers the format version, the chain's name, the link's place, the previous
# link's HMAC and the row's contents, as canonical JSON. Version 1 must never change: links
# made with it stay verifiable for as long as the audit record is kept.

LINK_VERSION = "speakup/audit-link/v1"
REFUSAL_CHAIN = "refusals"
_VERIFICATION_CHAIN = "verification"

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _derive_audit_key(pepper: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"speakup/audit-chain/v1")
    return hkdf.derive(pepper)


def _audit_key() -> bytes:
    # From the token pepper, never the master keys: master keys are rotated and the old ones
    # destroyed, after which nothing they keyed could be checked again, while the pepper is
    # never rotated (every case token depends on it) and, like them, never in the database.
    return _derive_audit_key(settings.SPEAKUP_TOKEN_PEPPER)


def _when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def case_chain(case_id: uuid.UUID) -> str:
    """The name of a case's chain of events."""
    return f"case:{case_id}"


def event_body(
    *, code: str, actor_id: int | None, at: dt.datetime, payload: dict[str, Any]
) -> list[object]:
    """What a case event's link covers: everything in the row except its place and links."""
    return ["event", code, actor_id, _when(at), payload]


def refusal_body(
    *, actor_id: int | None, case_id: uuid.UUID | None, action: str, at: dt.datetime
) -> list[object]:
    """What a refused access attempt's link covers (``permissions.models.AccessRefusal``)."""
    return ["refusal", actor_id, str(case_id) if case_id else None, action, _when(at)]


def link_mac(*, chain: str, seq: int, prev: str, body: list[object]) -> str:
    """The HMAC-SHA256 (hex) of one link under the audit key."""
    message = json.dumps(
        [LINK_VERSION, chain, seq, prev, body], separators=(",", ":"), sort_keys=True
    )
    return hmac.new(_audit_key(), message.encode(), hashlib.sha256).hexdigest()


def chain_append(*, chain: str, body: list[object], new: bool = False) -> tuple[int, str]:
    """Add a link to ``chain``: returns the new row's ``(seq, mac)``. Call it in a transaction
    that then inserts that row: the head stays locked until the commit, so links recorded at
    the same moment queue for their places instead of forking the chain."""
    return chain_extend(chain=chain, bodies=[body], new=new)[0]


def chain_extend(
    *, chain: str, bodies: Sequence[list[object]], new: bool = False
) -> list[tuple[int, str]]:
    """Add a link to ``chain`` for each body, in order: returns each new row's ``(seq, mac)``,
    with the head locked and moved once. ``new`` says the chain has no head yet (a case
    created in this transaction: its id is new): the head is inserted at its last link in
    one statement, and should one exist after all, that insert fails rather than fork it.

    An existing head is locked and moved in plain statements (``_heads_lock``, ``_heads_move``,
    as ``events_record_many`` does for many chains), without making and saving a model:
    profiled on a workflow step, the ORM's ``get_or_create`` and ``save`` cost some six times
    their two statements. A chain seen for the first time without ``new`` (the refusals' and
    the staff record's, once) gets its head inserted in a savepoint, as ``get_or_create``
    would: a head inserted meanwhile by another transaction is then locked instead."""
    seq, mac = 0, ""
    if not new:
        found = _heads_lock([chain]).get(chain)
        if found is None:
            try:
                with transaction.atomic():
                    AuditHead.objects.create(chain=chain)
            except IntegrityError:  # started at the same moment by another append
                found = _heads_lock([chain])[chain]
        if found is not None:
            seq, mac = found
    links = []
    for body in bodies:
        seq += 1
        mac = link_mac(chain=chain, seq=seq, prev=mac, body=body)
        links.append((seq, mac))
    if new:
        AuditHead(chain=chain, seq=seq, mac=mac).save(force_insert=True)
    else:
        _heads_move({chain: (seq, mac)})
    return links


def _purge_seal(*, chain: str, through: int, mac: str) -> str:
    # A link-shaped HMAC that no real link can have: its ``prev`` is the link at its own
    # place, and its body is not an event's or a refusal's.
    return link_mac(chain=chain, seq=through, prev=mac, body=["purged"])


def chains_mark_purged(case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Before retention removes these cases' events, in the same transaction: lock each
    case's chain head and record that its links up to the newest are purged, sealed under the
    audit key, so ``audit_verify`` tells this removal from tampering and still checks the
    head and any link added after. Returns each case's place purged through (cases without
    a chain are left out). Appends to these chains wait until the commit."""
    chains = {case_chain(case_id): case_id for case_id in case_ids}
    heads = list(AuditHead.objects.select_for_update().filter(chain__in=chains).order_by("chain"))
    for head in heads:
        head.purged_through, head.purged_mac = head.seq, head.mac
        head.purged_seal = _purge_seal(chain=head.chain, through=head.seq, mac=head.mac)
    AuditHead.objects.bulk_update(heads, ["purged_through", "purged_mac", "purged_seal"])
    return {chains[head.chain]: head.seq for head in heads}


# --- Verification ---------------------------------------------------------------------------

Link = tuple[int, int, str, list[object]]  # row id, seq, mac, body


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong with one chain, in identifiers only."""

    chain: str
    seq: int | None
    what: str

    def __str__(self) -> str:
        where = self.chain if self.seq is None else f"{self.chain} link {self.seq}"
        return f"{where}: {self.what}"


@dataclass
class AuditReport:
    record: AuditVerification
    problems: list[ChainProblem] = field(default_factory=list)


def _same(stored: str, expected: str) -> bool:
    return hmac.compare_digest(stored.encode(), expected.encode())


def chain_check(chain: str, links: Iterable[Link], head: AuditHead | None) -> list[ChainProblem]:
    """Every problem with one chain, given its rows in ``seq`` order and its head.

    A row whose HMAC does not match was changed (or moved from another chain); a gap or a
    repeat in ``seq`` means rows were removed or inserted; ids that do not rise with ``seq``
    mean rows were reordered; a head ahead of the last row means the newest rows are gone.
    Links up to a head's ``purged_through`` were removed by retention, if its seal is genuine.
    """
    problems: list[ChainProblem] = []
    expected, prev, last_id = 1, "", 0
    if head is not None and head.purged_through:  # retention removed the links up to there
        sealed = _purge_seal(chain=chain, through=head.purged_through, mac=head.purged_mac)
        if not _same(head.purged_seal, sealed):
            problems.append(ChainProblem(chain, None, "its purge record does not match"))
        expected, prev = head.purged_through + 1, head.purged_mac
    for row_id, seq, mac, body in links:
        if seq != expected:
            problems.append(ChainProblem(chain, seq, f"found where link {expected} belongs"))
        if row_id <= last_id:
            problems.append(ChainProblem(chain, seq, "stored out of order"))
        if not _same(mac, link_mac(chain=chain, seq=seq, prev=prev, body=body)):
            problems.append(ChainProblem(chain, seq, "does not match its contents or place"))
        expected, prev, last_id = seq + 1, mac, row_id
    last = expected - 1
    if head is None:
        if last:
            problems.append(ChainProblem(chain, None, "has no head record"))
    elif head.seq != last:
        problems.append(
            ChainProblem(chain, None, f"ends at link {last} but its head is at link {head.seq}")
        )
    elif not _same(head.mac, prev):
        problems.append(ChainProblem(chain, None, "its head does not match its last link"))
    return problems


def chain_prefix_mark_purged(head: AuditHead, links: list[Link]) -> list[ChainProblem]:
    """Before retention removes the oldest ``links`` of a long-lived chain (the refusals', the
    staff events'), in the same transaction, with ``head`` locked: check that they are the
    next links after what was purged before, unchanged and whole, then record on the head
    that the chain is purged through the last of them, sealed like a case's purge. Returns the
    problems found instead, changing nothing: a purge must never remove the evidence of
    tampering along with the links."""
    if not links:
        return []
    through, mac = links[-1][1], links[-1][2]
    prefix = AuditHead(
        chain=head.chain,
        seq=through,
        mac=mac,
        purged_through=head.purged_through,
        purged_mac=head.purged_mac,
        purged_seal=head.purged_seal,
    )
    problems = chain_check(head.chain, links, prefix)
    if problems:
        return problems
    head.purged_through, head.purged_mac = through, mac
    head.purged_seal = _purge_seal(chain=head.chain, through=through, mac=mac)
    head.save(update_fields=["purged_through", "purged_mac", "purged_seal"])
    return []


def _event_chains() -> Iterator[tuple[str, Iterator[Link]]]:
    rows = CaseEvent.objects.order_by("case_id", "seq", "id").values_list(
        "case_id", "id", "seq", "mac", "code", "actor_id", "at", "payload"
    )
    for case_id, group in groupby(rows.iterator(chunk_size=2000), key=itemgetter(0)):
        yield (
            case_chain(case_id),
            (
                (r[1], r[2], r[3], event_body(code=r[4], actor_id=r[5], at=r[6], payload=r[7]))
                for r in group
            ),
        )


# Chains kept by apps that build on this one (the refused-access records of ``permissions``):
# each registers its name and a function listing its links, so this module imports none of
# them and ``audit_verify`` still checks every chain.
_REGISTERED_CHAINS: dict[str, Callable[[], Iterator[Link]]] = {}


def audit_chain_register(chain: str, links: Callable[[], Iterator[Link]]) -> None:
    """Have ``audit_verify`` check ``chain``, whose links ``links()`` lists in order."""
    _REGISTERED_CHAINS[chain] = links


def _verification_seal(record: AuditVerification) -> str:
    body: list[object] = [
        _when(record.at),
        record.ok,
        record.chains,
        record.links,
        record.problems,
        record.summary,
    ]
    return link_mac(chain=_VERIFICATION_CHAIN, seq=0, prev="", body=body)


def _verify_snapshot() -> tuple[int, int, list[ChainProblem]]:
    """``(chains, links, problems)`` over every chain, as the database holds them now."""
    heads = {head.chain: head for head in AuditHead.objects.all()}
    problems: list[ChainProblem] = []
    seen: set[str] = set()
    for chain, links in _event_chains():
        seen.add(chain)
        problems += chain_check(chain, links, heads.get(chain))
    for chain, listed in _REGISTERED_CHAINS.items():
        problems += chain_check(chain, listed(), heads.get(chain))
    for chain in sorted(heads.keys() - seen - _REGISTERED_CHAINS.keys()):  # all its rows gone
        problems += chain_check(chain, [], heads[chain])
    for case_id in Case.objects.order_by("pk").values_list("pk", flat=True).iterator():
        chain = case_chain(case_id)
        if chain not in seen and chain not in heads:  # every case starts with an event
            problems.append(ChainProblem(chain, None, "has no audit events at all"))
    return len(heads.keys() | seen), sum(head.seq for head in heads.values()), problems


def audit_verify() -> AuditReport:
    """Check every audit chain, record the result (sealed) and log a one-line summary.

    Reads one consistent snapshot (on PostgreSQL a repeatable-read, read-only transaction),
    so events added meanwhile are not mistaken for tampering. Besides each chain's own
    problems, it reports a total chain length lower than at the previous verification (the
    newest links of some chain removed and its head wound back) and a previous result whose
    seal does not match. Safe to run at any time and as often as wanted.
    """
    outermost = not connection.in_atomic_block  # else the caller's transaction is the view
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        chains, links, problems = _verify_snapshot()
    previous = AuditVerification.objects.order_by("-at", "-id").first()
    if previous is not None and not _same(previous.mac, _verification_seal(previous)):
        problems.append(ChainProblem("verification", None, f"record {previous.pk} was altered"))
    elif previous is not None and links < previous.links:
        lost = previous.links - links
        problems.append(
            ChainProblem("audit", None, f"{lost} link(s) fewer than at the last verification")
        )
    record = AuditVerification(
        at=timezone.now(),
        ok=not problems,
        chains=chains,
        links=links,
        problems=len(problems),
        summary=str(problems[0])[:200] if problems else "",
    )
    record.mac = _verification_seal(record)
    record.save(force_insert=True)
    log = logger.info if record.ok else logger.error
    log(
        "Audit chains verified: %d chains, %d links, %d problems.",
        record.chains,
        record.links,
        record.problems,
    )
    return AuditReport(record=record, problems=problems)


def audit_status() -> dict[str, str | None]:
    """The latest verification for the health page: ``ok``, ``failed`` (problems found, or
    its record is not genuine) or ``unverified`` (never run), and when it ran."""
    last = AuditVerification.objects.order_by("-at", "-id").first()
    if last is None:
        return {"status": "unverified", "verified_at": None}
    genuine = _same(last.mac, _verification_seal(last))
    return {"status": "ok" if last.ok and genuine else "failed", "verified_at": _when(last.at)}
