"""Reads of case content: the only module that opens sealed values.

Callers obtain the case through ``permissions/access.py`` first; these functions assume the
caller may see it. A value that fails its integrity check is never shown: it raises
``CaseDataUnreadable`` after recording a ``case.data_unreadable`` audit event.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import LINK_CODES, event_cases, event_people, event_record, event_sentence
from cases.crypto import CaseCipher
from cases.exceptions import CaseDataUnreadable
from cases.keys import case_cipher
from cases.models import (
    Case,
    CaseEvent,
    CaseLink,
    CaseType,
    Evidence,
    Message,
    MessageKind,
    ReporterIdentity,
    SharedItem,
)
from cases.services import evidence_path


def _open(
    cipher: CaseCipher, case: Case, row: models.Model, field: str, *, row_id: uuid.UUID
) -> bytes | None:
    sealed = getattr(row, field)
    if sealed is None:
        return None
    label = row._meta.label_lower
    # A historical row is opened as the model it copies: its values were sealed for that.
    label = label.replace(".historical", ".", 1) if ".historical" in label else label
    try:
        return cipher.open(sealed, model_label=label, field=field, row_id=row_id)
    except CaseDataUnreadable:
        event_record(case=case, code="case.data_unreadable", payload={"field": f"{label}.{field}"})
        raise


@dataclass(frozen=True)
class CaseContent:
    answers: dict[str, str]
    reporter_contact: str | None
    redacted_answers: dict[str, str] | None = None


def case_content(case: Case) -> CaseContent:
    """The reporter's answers, contact details and any redacted version, decrypted."""
    cipher = case_cipher(case.pk)
    answers = _open(cipher, case, case, "answers", row_id=case.pk)
    contact = _open(cipher, case, case, "reporter_contact", row_id=case.pk)
    redacted = _open(cipher, case, case, "redacted_answers", row_id=case.pk)
    return CaseContent(
        answers=json.loads(answers or b"{}"),
        reporter_contact=contact.decode() if contact is not None else None,
        redacted_answers=json.loads(redacted) if redacted is not None else None,
    )


# --- Confidential reporting (docs/decisions/0031-confidential-reporting.md) -----------------
# A confidential reporter's identity is never part of ``case_content``: it is opened only
# here, by pages that asked ``permissions.predicates.may_see_identity`` first.


def reporter_identity_of(case: Case) -> ReporterIdentity | None:
    """The case's confidential reporter's row (whether it is shared, when, by whom), or
    ``None`` for an anonymous or named report. Opens nothing."""
    return ReporterIdentity.objects.select_related("revealed_by").filter(case_id=case.pk).first()


@dataclass(frozen=True)
class IdentityView:
    name: str
    contact: str


def reporter_identity_open(case: Case, row: ReporterIdentity) -> IdentityView:
    """A confidential reporter's name and contact details, decrypted: for those
    ``may_see_identity`` allows only."""
    opened = _open(case_cipher(case.pk), case, row, "identity", row_id=case.pk)
    values = json.loads(opened or b"{}")
    return IdentityView(name=str(values.get("name", "")), contact=str(values.get("contact", "")))


def reveal_reason_open(case: Case, row: ReporterIdentity) -> str | None:
    """Why the confidential contact revealed the identity (for the contact and for the
    reporter), or ``None`` when they have not."""
    opened = _open(case_cipher(case.pk), case, row, "reveal_reason", row_id=case.pk)
    return None if opened is None else opened.decode()


@dataclass(frozen=True)
class MessageView:
    id: uuid.UUID
    kind: str
    kind_label: str
    author: str | None
    created_at: dt.datetime
    body: str
    # Whether it is shared with the case's external investigators, and the redacted copy
    # they are shown (for a handler's page; an investigator is given the copy as ``body``).
    shared: bool = False
    redacted: str | None = None


def message_list_for_case(case: Case, *, include_internal: bool) -> list[MessageView]:
    """The case's messages in order, decrypted; internal notes only when asked for."""
    messages = case.messages.select_related("author")
    if not include_internal:
        messages = messages.exclude(kind=MessageKind.INTERNAL_NOTE)
    cipher = case_cipher(case.pk)
    return [_message_view(cipher, case, m) for m in messages]


def case_count(*, case_type: CaseType | None = None) -> int:
    """How many cases there are (of one type): a number that names no case, for demo data
    and operations. Lists of cases go through ``permissions/access.py``."""
    cases = Case.objects.all()
    if case_type is not None:
        cases = cases.filter(case_type=case_type)
    return cases.count()


def case_rows_for_system() -> models.QuerySet[Case]:
    """Every case row, for jobs that act on cases by policy rather than for a person
    (retention's purge and its preview). Never for a page, a list or an export: those come
    through ``permissions/access.py``."""
    return Case.objects.all()


def is_day_only(at: dt.datetime) -> bool:
    """Whether a stored time carries only its day (reporter-originated: local midnight)."""
    return timezone.localtime(at).time() == dt.time.min


def _staff_order(at: dt.datetime) -> tuple[dt.date, bool, dt.datetime]:
    """Sort key for what staff see of a case, day by day.

    A reporter's actions are stored to the day. Shown among the day's timed staff entries in
    the order they happened, they would say between which two staff actions, and so at about
    what time of day, the reporter acted. So within each day every timed entry comes first
    and the day-only entries follow, in their own stored order.
    """
    local = timezone.localtime(at)
    return (local.date(), is_day_only(at), local)


MESSAGES_PER_PAGE = 20
TIMELINE_PER_PAGE = 100


@dataclass(frozen=True)
class Paged[T]:
    """One page of what staff see of a case, in the order they read it, and where it sits
    (``page`` is Django's, over the ordered ids: its number and neighbours, not the items)."""

    items: list[T]
    page: Page[Any]


def _ids_in_staff_order(rows: models.QuerySet[Any, tuple[Any, dt.datetime]]) -> list[Any]:
    # Only ids and times are read for the whole case: the order is worked out on those, and
    # only the page's rows are then read whole (and decrypted).
    return [pk for pk, at in sorted(rows, key=lambda row: _staff_order(row[1]))]


def _newest_page(ordered: list[Any], page: str | None) -> tuple[Page[Any], list[Any]]:
    """The page of ``ordered`` ids (oldest first) asked for, counting pages from the newest,
    and its ids oldest first: only those are then read whole and decrypted."""
    shown = Paginator(ordered[::-1], MESSAGES_PER_PAGE).get_page(page)
    return shown, list(reversed(shown.object_list))


def message_list_for_reporter(case: Case, page: str | None = None) -> Paged[MessageView]:
    """What the reporter's follow-up page shows of the conversation: the messages between
    them and the handlers (no internal note), a page at a time, newest page first as staff
    read them (page 1 is the latest ``MESSAGES_PER_PAGE``, each page oldest first), only the
    page decrypted. A page number that is not one gives the first page; one past the end,
    the last."""
    messages = case.messages.exclude(kind=MessageKind.INTERNAL_NOTE)
    # The model's order: as written.
    shown, wanted = _newest_page(list(messages.values_list("pk", flat=True)), page)
    rows = messages.select_related("author").in_bulk(wanted)
    if not rows:
        return Paged([], shown)
    cipher = case_cipher(case.pk)
    return Paged([_message_view(cipher, case, rows[pk]) for pk in wanted], shown)


def message_list_for_staff(
    case: Case, page: str | None = None, *, shared_only_for: int | None = None
) -> Paged[MessageView]:
    """The case's messages and internal notes in staff order, a page at a time, newest page
    first (page 1 is the latest ``MESSAGES_PER_PAGE``, each page read oldest first), only the
    page decrypted. A page number that is not one gives the first page; one past the end, the
    last.

    With ``shared_only_for`` (the id of someone who sees only what is shared:
    ``predicates.sees_shared_only``), only the messages and notes shared with the case's
    investigators and those that person wrote, each shared one as its redacted copy when it
    has one (its original is then never opened)."""
    messages = case.messages.all()
    if shared_only_for is not None:
        messages = messages.filter(
            models.Q(share__isnull=False) | models.Q(author_id=shared_only_for)
        )
    ordered = _ids_in_staff_order(messages.values_list("pk", "created_at"))
    shown, wanted = _newest_page(ordered, page)
    rows = {m.pk: m for m in messages.select_related("author", "share").filter(pk__in=wanted)}
    if not rows:
        return Paged([], shown)
    cipher = case_cipher(case.pk)
    return Paged(
        [
            _message_view(
                cipher, case, rows[pk], with_share=True, as_shared=shared_only_for is not None
            )
            for pk in wanted
        ],
        shown,
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    day_only: bool
    sentence: str


# Events that record a look at the case, not a change to it.
VIEW_CODES = frozenset({"case.viewed", "case.viewed_by_reporter", "case.identity_viewed"})


def _look(event: CaseEvent) -> tuple[Any, ...]:
    """What groups a staff member's looks at the case in a row on one day; every other event
    stands alone."""
    if event.code == "case.viewed":
        return ("look", event.actor_id, timezone.localdate(event.at))
    return ("event", event.pk)


def event_list_for_staff(
    case: Case,
    page: str | None = None,
    *,
    changes_only: bool = False,
    people: Callable[[set[int], set[int]], tuple[Mapping[int, str], Mapping[int, str]]]
    | None = None,
    state_words: Callable[[str], str] | None = None,
    others_seen: models.QuerySet[Case] | None = None,
) -> Paged[TimelineEntry]:
    """The case's audit events as timeline sentences in staff order, ``TIMELINE_PER_PAGE`` at a
    time from the first; a page number that is not one gives the first page, one past the
    end the last. ``changes_only`` leaves out views. Views of one person in a row on one day
    are one entry ("Ann Smith viewed the case 4 times"). ``people`` names the users and teams
    of a page's events, asked once per page; ``state_words`` says a state in staff's words.

    Links to other cases (``case.linked``, ``case.unlinked``) are shown only when the other
    case is in ``others_seen`` (the cases the reader may see, from the gate), named by its
    reference; without it, none is. They are left out in SQL, so the pages and the count of
    entries say nothing of them either (docs/decisions/0033-linked-cases.md)."""
    events = _links_seen(
        case.events.exclude(code__in=VIEW_CODES) if changes_only else case.events.all(),
        others_seen,
    )
    ordered = _ids_in_staff_order(events.values_list("pk", "at"))
    shown = Paginator(ordered, TIMELINE_PER_PAGE).get_page(page)
    rows = {e.pk: e for e in case.events.select_related("actor").filter(pk__in=shown.object_list)}
    in_order = [rows[pk] for pk in shown.object_list]
    names: Mapping[int, str] = {}
    team_names: Mapping[int, str] = {}
    if people is not None:
        names, team_names = people(*event_people(in_order))
    references = _references(event_cases(in_order))
    entries: list[TimelineEntry] = []
    for _key, group in groupby(in_order, key=_look):
        run = list(group)
        first = run[0]
        if len(run) > 1:  # one person's looks in a row on one day
            actor = names.get(first.actor_id) if first.actor_id else None
            sentence = str(_("{actor} viewed the case {count} times.")).format(
                actor=actor or (first.actor.get_username() if first.actor else ""),
                count=len(run),
            )
        else:
            sentence = event_sentence(
                first,
                people=names,
                teams=team_names,
                state_words=state_words,
                references=references,
            )
        entries.append(
            TimelineEntry(at=first.at, day_only=is_day_only(first.at), sentence=sentence)
        )
    return Paged(entries, shown)


def _links_seen(
    events: models.QuerySet[CaseEvent], others_seen: models.QuerySet[Case] | None
) -> models.QuerySet[CaseEvent]:
    """``events`` without the links to cases outside ``others_seen`` (all of them without it).
    The other case is the payload's ``other_case``: its id's 32 hex digits, which both
    databases read as a UUID."""
    if others_seen is None:
        return events.exclude(code__in=LINK_CODES)
    other = Cast(KeyTextTransform("other_case", "payload"), models.UUIDField())
    return events.alias(other_case=other).filter(
        ~models.Q(code__in=LINK_CODES) | models.Q(other_case__in=others_seen.values("pk"))
    )


def _references(hex_ids: set[str]) -> dict[str, str]:
    """The references of the other cases a page of the timeline names (one query, only when
    it names any), by their ids' 32 hex digits."""
    if not hex_ids:
        return {}
    ids = [uuid.UUID(hex=value) for value in hex_ids]
    return {
        pk.hex: ref for pk, ref in Case.objects.filter(pk__in=ids).values_list("pk", "reference")
    }


def link_notes_open(
    case: Case, links: Iterable[CaseLink], *, own_only_for: int | None = None
) -> dict[uuid.UUID, str]:
    """The notes of ``case``'s links (its own side of each, sealed under its key), by link id,
    for a staff page; a link without a note has none. With ``own_only_for`` (the id of someone
    who sees only what is shared: ``predicates.sees_shared_only``), only the notes that person
    wrote are opened: a note is case content a handler has not shared (decision 0024)."""
    rows = [
        link
        for link in links
        if link.note is not None and own_only_for in (None, link.linked_by_id)
    ]
    if not rows:
        return {}
    cipher = case_cipher(case.pk)
    return {
        link.pk: (_open(cipher, case, link, "note", row_id=link.pk) or b"").decode()
        for link in rows
    }


def _share_of(item: Message | Evidence) -> SharedItem | None:
    try:
        return item.share
    except SharedItem.DoesNotExist:
        return None


def _redacted(cipher: CaseCipher, case: Case, share: SharedItem | None) -> str | None:
    if share is None:
        return None
    value = _open(cipher, case, share, "redacted", row_id=share.pk)
    return None if value is None else value.decode()


def _message_view(
    cipher: CaseCipher,
    case: Case,
    message: Message,
    *,
    with_share: bool = False,
    as_shared: bool = False,
) -> MessageView:
    """One message as staff see it. ``with_share``: its share was read with it
    (``select_related("share")``), so the view says whether it is shared and with what copy;
    ``as_shared``: as an investigator sees it, its redacted copy in place of its text when it
    has one."""
    share = _share_of(message) if with_share else None
    redacted = _redacted(cipher, case, share)
    if as_shared and redacted is not None:
        body, redacted = redacted, None
    else:
        body = (_open(cipher, case, message, "body", row_id=message.pk) or b"").decode()
    return MessageView(
        id=message.pk,
        kind=message.kind,
        kind_label=str(MessageKind(message.kind).label),
        author=message.author.get_username() if message.author else None,
        created_at=message.created_at,
        body=body,
        shared=share is not None and not as_shared,
        redacted=None if as_shared else redacted,
    )


def evidence_name(evidence: Evidence) -> str:
    cipher = case_cipher(evidence.case_id)
    return (
        _open(cipher, evidence.case, evidence, "original_name", row_id=evidence.pk) or b""
    ).decode()


@dataclass(frozen=True)
class EvidenceView:
    """An evidence file as staff see it: ``name`` is what the page and the download call
    it. For a handler, ``shared`` and the ``redacted`` name investigators are shown; for an
    investigator, ``name`` is already the redacted name when there is one."""

    evidence: Evidence
    name: str
    shared: bool = False
    redacted: str | None = None


def _evidence_view(
    cipher: CaseCipher, case: Case, item: Evidence, *, shared_only: bool
) -> EvidenceView:
    share = _share_of(item)
    redacted = _redacted(cipher, case, share)
    if shared_only and redacted is not None:
        return EvidenceView(evidence=item, name=redacted)
    name = (_open(cipher, case, item, "original_name", row_id=item.pk) or b"").decode()
    if shared_only:
        return EvidenceView(evidence=item, name=name)
    return EvidenceView(evidence=item, name=name, shared=share is not None, redacted=redacted)


def evidence_list_for_staff(case: Case, *, shared_only: bool) -> list[EvidenceView]:
    """The case's evidence files with their names, for a staff page. ``shared_only`` (for
    someone who sees only what is shared, ``predicates.sees_shared_only``): only the files
    shared with the case's investigators, each under its redacted name when it has one (the
    original name is then never opened)."""
    items = case.evidence.select_related("share")
    if shared_only:
        items = items.filter(share__isnull=False)
    cipher = case_cipher(case.pk)
    return [_evidence_view(cipher, case, item, shared_only=shared_only) for item in items]


def evidence_for_staff(
    case: Case, evidence_id: uuid.UUID | None, *, shared_only: bool
) -> EvidenceView | None:
    """One evidence file of ``case`` for a download, as ``evidence_list_for_staff`` would
    list it, or ``None`` when it is not on the case (or, ``shared_only``, not shared)."""
    if evidence_id is None:
        return None
    items = case.evidence.select_related("share", "case").filter(pk=evidence_id)
    if shared_only:
        items = items.filter(share__isnull=False)
    item = items.first()
    if item is None:
        return None
    return _evidence_view(case_cipher(case.pk), case, item, shared_only=shared_only)


def message_on_case(case: Case, message_id: uuid.UUID | None) -> Message | None:
    """One message or note of ``case`` (to share it), or ``None`` when it is not there.
    Opens nothing."""
    if message_id is None:
        return None
    return case.messages.filter(pk=message_id).first()


def evidence_on_case(case: Case, evidence_id: uuid.UUID | None) -> Evidence | None:
    """One evidence file of ``case`` (to share it), or ``None`` when it is not there. Opens
    nothing."""
    if evidence_id is None:
        return None
    return case.evidence.filter(pk=evidence_id).first()


def evidence_list_for_case(case: Case) -> list[tuple[Evidence, str]]:
    """The case's evidence with each file's name, unwrapping the case's key once."""
    cipher = case_cipher(case.pk)
    return [
        (item, (_open(cipher, case, item, "original_name", row_id=item.pk) or b"").decode())
        for item in case.evidence.all()
    ]


def evidence_read(evidence: Evidence) -> Iterator[bytes]:
    """Stream an evidence file's verified plaintext, chunk by chunk."""
    cipher = case_cipher(evidence.case_id)
    with evidence_path(evidence.stored_name).open("rb") as source:
        try:
            yield from cipher.open_stream(source, file_id=evidence.pk)
        except CaseDataUnreadable:
            event_record(
                case=evidence.case, code="case.data_unreadable", payload={"field": "evidence.file"}
            )
            raise


@dataclass(frozen=True)
class ActionView:
    id: uuid.UUID
    title: str
    owner: str | None
    due_on: dt.date | None
    done: bool


def case_actions(case: Case) -> list[ActionView]:
    """The case's actions, decrypted, open ones first."""
    cipher = case_cipher(case.pk)
    actions = case.actions.select_related("owner").order_by(
        models.F("completed_at").asc(nulls_first=True), "due_on"
    )
    return [
        ActionView(
            id=action.pk,
            title=(_open(cipher, case, action, "title", row_id=action.pk) or b"").decode(),
            owner=action.owner.get_username() if action.owner else None,
            due_on=action.due_on,
            done=action.completed_at is not None,
        )
        for action in actions
    ]


@dataclass(frozen=True)
class Revision:
    history_id: int
    history_date: dt.datetime
    history_type: str
    values: dict[str, Any]


def case_revisions(case: Case) -> list[Revision]:
    """Every historical version of the case's answers, decrypted, oldest first."""
    cipher = case_cipher(case.pk)
    revisions = []
    for record in case.history.order_by("history_id"):
        answers = _open(cipher, case, record, "answers", row_id=case.pk)
        revisions.append(
            Revision(
                history_id=record.history_id,
                history_date=record.history_date,
                history_type=record.history_type,
                values={"answers": json.loads(answers or b"{}")},
            )
        )
    return revisions


def message_revisions(message: Message) -> list[str]:
    """Every historical body of one message, decrypted, oldest first."""
    cipher = case_cipher(message.case_id)
    return [
        (_open(cipher, message.case, record, "body", row_id=message.pk) or b"").decode()
        for record in message.history.order_by("history_id")
    ]
