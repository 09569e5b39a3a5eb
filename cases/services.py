"""Writes to cases: the only module that creates or changes case records and their children.

Every function here is keyword-only, seals free text with the case's data key before it
touches a row, writes its audit event in the same transaction, and stores reporter-originated
times to the day. State moves live in ``workflows/services.py``; access checks for staff are
the caller's job through ``permissions/access.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.audit import event_record
from cases.batch import among
from cases.checkin import CheckinStatus, checkin_status
from cases.crypto import CaseCipher, Readable
from cases.exceptions import CheckinClosed, SpeakUpError
from cases.functions import DaysBetween
from cases.history import HistoryRow, history_save, history_write
from cases.keys import case_cipher, data_key_prepare
from cases.models import (
    Action,
    Case,
    CaseType,
    Category,
    Channel,
    CheckinAnswer,
    Evidence,
    Message,
    MessageKind,
    OrganisationalUnit,
    ReporterIdentity,
    ReportingLevel,
    SharedItem,
)
from cases.news import reporter_news_record
from cases.storage import evidence_path as evidence_path  # re-exported for readers
from cases.storage import evidence_staging as evidence_staging  # re-exported for callers
from cases.storage import file_discard, file_write
from cases.tokens import reference_generate, token_digest, token_generate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_TEXT_CHARS = 20_000


class InvalidReport(SpeakUpError):
    message = "The report could not be accepted."


class EvidenceRejected(SpeakUpError):
    message = "The file could not be accepted."


def reporter_time(now: dt.datetime | None = None) -> dt.datetime:
    """Midnight (local time) of today: how precisely a reporter-originated time is stored."""
    day = timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _clean_text(value: str, *, what: str, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidReport(f"{what} is empty.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidReport(f"{what} is longer than {MAX_TEXT_CHARS} characters.")
    return text


@dataclass(frozen=True)
class Confidential:
    """A confidential reporter's name, and the contact details they gave, sealed apart from
    the report (``ReporterIdentity``; docs/decisions/0031-confidential-reporting.md)."""

    name: str
    contact: str = ""


def case_create(
    *,
    case_type: CaseType,
    answers: Mapping[str, str],
    category: Category | None = None,
    org_unit: OrganisationalUnit | None = None,
    reporter_named: bool = False,
    reporter_contact: str = "",
    received_on: dt.date | None = None,
    channel: str = Channel.WEB,
    confidential: Confidential | None = None,
) -> tuple[Case, str]:
    """File a new case from a report and return it with its token.

    File cases through ``workflows.services.case_file``, which also starts the workflow's
    clocks. This is the only moment the token exists in clear: the caller shows it once and
    forgets it. Only its HMAC is stored. The case, its data key and its ``case.created`` event are
    written in one transaction. ``received_on`` is for reports that arrived earlier by
    another channel (post, phone: ``channel``); it defaults to today. ``confidential`` files
    a confidential report: the name and contact details are sealed in the case's
    ``ReporterIdentity``, never in its answers or its ``reporter_contact`` (``reporter_contact``
    given with it is sealed there too, and the case's own sealed empty). Raises
    ``InvalidReport`` for a closed case type, a category of another type, a level the type does
    not offer, a confidential report without a name, or one both named and confidential.
    """
    if not case_type.is_active:
        raise InvalidReport("This kind of report is not open.")
    if category is not None and category.case_type_id != case_type.pk:
        raise InvalidReport("The category does not belong to this kind of report.")
    if reporter_named and confidential is not None:
        raise InvalidReport("A report is either named or confidential, not both.")
    if reporter_named and not case_type.allows(ReportingLevel.NAMED):
        raise InvalidReport("This kind of report cannot be made with your name given openly.")
    if confidential is not None and not case_type.allows(ReportingLevel.CONFIDENTIAL):
        raise InvalidReport("This kind of report cannot be made confidentially.")
    if confidential is not None and "name" in answers:
        raise InvalidReport("A confidential reporter's name is never part of the answers.")
    clean_answers = {
        key: _clean_text(value, what=key, required=False) for key, value in answers.items()
    }
    contact = _clean_text(reporter_contact, what="Contact details", required=False)
    identity: dict[str, str] | None = None
    if confidential is not None:
        identity = {
            "name": _clean_text(confidential.name, what="The name"),
            "contact": _clean_text(
                confidential.contact or contact, what="Contact details", required=False
            ),
        }
        contact = ""

    token = token_generate()
    received = reporter_time()
    if received_on is not None:
        if received_on > received.date():
            raise InvalidReport("A report cannot be received in the future.")
        received = timezone.make_aware(dt.datetime.combine(received_on, dt.time.min))
    case_id = uuid.uuid4()
    cipher, data_key = data_key_prepare(case_id=case_id)
    case = Case(
        id=case_id,
        case_type=case_type,
        category=category,
        org_unit=org_unit,
        received_on=received.date(),
        reporter_named=reporter_named,
        channel=channel,
        token_digest=token_digest(token),
    )
    case.answers = cipher.seal(
        json.dumps(clean_answers).encode(),
        model_label="cases.case",
        field="answers",
        row_id=case_id,
    )
    if contact or (identity is not None and identity["contact"]):
        # A confidential reporter's contact details are sealed with their name; the case's own
        # are then sealed empty, so that whether there may be an address to tell of news is
        # known from the case row (cases.news) while nobody who reads the case sees one.
        case.reporter_contact = cipher.seal(
            contact.encode(), model_label="cases.case", field="reporter_contact", row_id=case_id
        )
    case._history_date = received  # type: ignore[attr-defined]  # simple-history hook
    for attempt in range(5):
        case.reference = reference_generate()
        try:
            with transaction.atomic():
                # The case's history row written as its signal would (``cases.history``).
                history: list[HistoryRow] = []
                history_save(case, history, "+", force_insert=True)
                data_key.save(force_insert=True)
                if identity is not None:
                    _identity_seal(cipher, case, identity, when=received)
                event_record(
                    case=case,
                    code="case.created",
                    at=received,
                    payload={"case_type": case_type.slug},
                    new_chain=True,
                )
                history_write(history)
        except IntegrityError:
            # A random reference may collide with an existing one: draw another.
            if attempt == 4:
                raise
            case._state.adding = True
            continue
        return case, token
    raise AssertionError("unreachable")  # pragma: no cover


def _identity_seal(
    cipher: CaseCipher, case: Case, identity: dict[str, str], *, when: dt.datetime
) -> None:
    row = ReporterIdentity(case=case)
    row.identity = cipher.seal(
        json.dumps(identity).encode(),
        model_label="cases.reporteridentity",
        field="identity",
        row_id=case.pk,
    )
    row._history_date = when  # type: ignore[attr-defined]  # the reporter's day only
    row.save(force_insert=True)


def case_redact(*, case: Case, actor: User, answers: Mapping[str, str]) -> Case:
    """Save the reporter's answers with identifying details removed, sealed like the original.
    External investigators are shown this version (``permissions.predicates``). Checks nobody:
    interfaces call ``workflows.services.case_record_redaction``, which does."""
    clean = {key: _clean_text(value, what=key, required=False) for key, value in answers.items()}
    with transaction.atomic():
        locked = _lock(case)
        locked.redacted_answers = case_cipher(locked.pk).seal(
            json.dumps(clean).encode(),
            model_label="cases.case",
            field="redacted_answers",
            row_id=locked.pk,
        )
        locked.save(update_fields=["redacted_answers"])
        event_record(case=locked, code="case.redacted", actor=actor)
    return locked


def case_categorise(*, case: Case, actor: User, category: Category) -> Case:
    """Set the category of concern (recorded without personal data, for reporting)."""
    if category.case_type_id != case.case_type_id:
        raise InvalidReport("The category does not belong to this kind of report.")
    with transaction.atomic():
        locked = _lock(case)
        locked.category = category
        locked.save(update_fields=["category"])
        event_record(case=locked, code="case.categorised", actor=actor)
    return locked


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def case_lock[M: Case](*, case: Case, as_model: type[M]) -> M:
    """Re-read ``case`` under a row lock, as ``as_model`` (a workflow proxy), with its type,
    category and unit (not locked). For services that change a case; callers must already
    hold it through ``permissions/access.py``."""
    return cast(
        M,
        as_model.objects.select_related("case_type", "category", "org_unit")
        .select_for_update(of=("self",))
        .get(pk=case.pk),
    )


def message_add(
    *,
    case: Case,
    kind: MessageKind,
    body: str,
    author: User | None = None,
) -> Message:
    """Add a message or internal note to a case, sealed, with its ``message.added`` event.

    A message from the reporter has no author and is dated to the day; a message to the
    reporter or an internal note must name its staff author.
    """
    from_reporter = kind == MessageKind.FROM_REPORTER
    if from_reporter == (author is not None):
        raise InvalidReport("A reporter's message has no author; a staff message needs one.")
    text = _clean_text(body, what="The message")
    when = reporter_time() if from_reporter else timezone.now()
    with transaction.atomic():
        locked = _lock(case)
        last = locked.messages.aggregate(last=models.Max("position"))["last"] or 0
        message = Message(case=locked, position=last + 1, kind=kind, author=author, created_at=when)
        message.body = case_cipher(locked.pk).seal(
            text.encode(), model_label="cases.message", field="body", row_id=message.pk
        )
        message._history_date = when  # type: ignore[attr-defined]
        message.save(force_insert=True)
        event_record(
            case=locked, code="message.added", actor=author, at=when, payload={"kind": kind.value}
        )
        if kind == MessageKind.TO_REPORTER:
            reporter_news_record(locked)  # "there is news on your report", if they left an address
    return message


def case_checkin_record(
    *, case: Case, answer: CheckinAnswer, message: str, linked: Case | None = None
) -> Case:
    """Record the reporter's answer to the check-in after closure, once, and return the case.

    Locks the case and checks again that the question is asked (``CheckinClosed`` otherwise:
    answered before, not closed, not yet due), so a double post records one answer. On the
    case row, dated to the day: the answer; for a "yes", ``reopened_by_checkin_on`` (kept
    after retention, for reports) and either ``attention_since`` or, when the caller filed a
    new case for it, the link ``checkin_case``. An optional message is sealed under the case's
    key as a message from the reporter (on the new case, the caller puts it in its answers).
    Audits ``case.checkin_answered`` (the answer only) and ``case.checkin_opened_case`` (the new
    case's reference) on this case and ``case.opened_by_checkin`` on the new one, which names
    nothing of this case. Call inside the caller's transaction when it files ``linked``.
    """
    text = _clean_text(message, what="The message", required=False)
    day = reporter_time()
    with transaction.atomic():
        locked = _lock(case)
        if checkin_status(locked, today=day.date()) is not CheckinStatus.ASKED:
            raise CheckinClosed()
        locked.checkin_answer = answer
        locked.checkin_answered_on = day.date()
        fields = ["checkin_answer", "checkin_answered_on"]
        if answer == CheckinAnswer.YES:
            locked.reopened_by_checkin_on = day.date()
            fields.append("reopened_by_checkin_on")
            if linked is None:
                locked.attention_since = day.date()
                fields.append("attention_since")
            else:
                locked.checkin_case = linked
                fields.append("checkin_case")
        locked._history_date = day  # type: ignore[attr-defined]  # simple-history hook
        locked.save(update_fields=fields)
        event_record(case=locked, code="case.checkin_answered", at=day, payload={"answer": answer})
        if linked is not None:
            event_record(
                case=locked,
                code="case.checkin_opened_case",
                at=day,
                payload={"linked": linked.reference},
            )
            event_record(case=linked, code="case.opened_by_checkin", at=day)
        elif text:
            message_add(case=locked, kind=MessageKind.FROM_REPORTER, body=text)
    return locked


def case_attention_clear(*, case: Case, actor: User) -> Case:
    """Record that a handler has dealt with what the reporter's check-in raised: the case
    leaves the "needs attention" list; ``reopened_by_checkin_on`` stays. Checks nobody:
    interfaces call ``workflows.services.case_record_attention_dealt_with``, which does."""
    with transaction.atomic():
        locked = _lock(case)
        if locked.attention_since is None:
            raise InvalidReport("This case does not need attention.")
        locked.attention_since = None
        locked.save(update_fields=["attention_since"])
        event_record(case=locked, code="case.attention_cleared", actor=actor)
    return locked


class _LimitedReader:
    """Reads from ``source`` but raises ``EvidenceRejected`` past ``limit`` bytes."""

    def __init__(self, source: Readable, limit: int) -> None:
        self._source, self._limit, self.count = source, limit, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self.count += len(chunk)
        if self.count > self._limit:
            raise EvidenceRejected(f"The file is larger than {self._limit // 1_000_000} MB.")
        return chunk


# What the audit record says a file is: a short kind, never the MIME type (which the audit
# payload rule, short identifiers only, would refuse: Office types run to 73 characters).
_EVIDENCE_KINDS: dict[str, str] = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "text/plain": "text",
}


def evidence_kind(content_type: str) -> str:
    """The short name of a file's kind for the audit record ("docx"), or "other"."""
    return _EVIDENCE_KINDS.get(content_type, "other")


def evidence_attach(
    *,
    case: Case,
    source: Readable,
    original_name: str,
    content_type: str,
    added_by: User | None = None,
) -> Evidence:
    """Encrypt a file into evidence storage and record it on the case.

    The file is streamed through encryption into storage (``cases/storage.py``), so
    plaintext never reaches the disk; a reporter's file is dated to the day there as here.
    The reporter's file name is sealed in the row and never used in a path. Content checks
    and metadata removal happen before this call (intake). If anything here fails, the file
    is removed; if an enclosing transaction rolls back later, ``evidence_staging()`` around
    it (or, after a crash, the storage sweep) removes it.
    """
    from_reporter = added_by is None
    when = reporter_time() if from_reporter else timezone.now()
    evidence = Evidence(
        case=case,
        stored_name=uuid.uuid4().hex,
        content_type=content_type[:100],
        from_reporter=from_reporter,
        added_by=added_by,
        created_at=when,
        size=0,
    )
    cipher = case_cipher(case.pk)
    limited = _LimitedReader(source, settings.SPEAKUP_EVIDENCE_MAX_BYTES)
    try:
        evidence.size = file_write(
            evidence.stored_name,
            lambda sink: cipher.seal_stream(limited, sink, file_id=evidence.pk),
            day=when if from_reporter else None,
        )
        evidence.original_name = cipher.seal(
            original_name[:255].encode(),
            model_label="cases.evidence",
            field="original_name",
            row_id=evidence.pk,
        )
        evidence._history_date = when  # type: ignore[attr-defined]
        with transaction.atomic():
            evidence.save(force_insert=True)
            event_record(
                case=case,
                code="evidence.attached",
                actor=added_by,
                at=when,
                payload={"kind": evidence_kind(evidence.content_type)},
            )
    except BaseException:
        file_discard(evidence.stored_name)
        raise
    return evidence


def action_add(
    *,
    case: Case,
    title: str,
    actor: User,
    owner: User | None = None,
    due_on: dt.date | None = None,
) -> Action:
    """Add an action (a task with an owner and due date) to a case."""
    text = _clean_text(title, what="The action")
    action = Action(case=case, owner=owner, due_on=due_on, created_at=timezone.now())
    action.title = case_cipher(case.pk).seal(
        text.encode(), model_label="cases.action", field="title", row_id=action.pk
    )
    with transaction.atomic():
        action.save(force_insert=True)
        event_record(case=case, code="action.added", actor=actor)
    return action


def action_complete(*, action: Action, actor: User) -> Action:
    """Mark an action done (idempotent: completing a done action changes nothing)."""
    with transaction.atomic():
        locked = Action.objects.select_for_update().get(pk=action.pk)
        if locked.completed_at is None:
            locked.completed_at = timezone.now()
            locked.save(update_fields=["completed_at"])
            event_record(case=locked.case, code="action.completed", actor=actor)
    return locked


# --- Sharing with external investigators (docs/decisions/0024-investigator-sharing.md) -----


def _shared_kind(message: Message | None) -> str:
    if message is None:
        return "file"
    return "note" if message.kind == MessageKind.INTERNAL_NOTE else "message"


def item_share(
    *,
    case: Case,
    actor: User,
    message: Message | None = None,
    evidence: Evidence | None = None,
    redacted: str = "",
) -> SharedItem:
    """Share one message, note or evidence file of ``case`` with its external investigators,
    shown as ``redacted`` (a message's text or a file's name with identifying details taken
    out, sealed under the case's key) when given, else as it is. Sharing again replaces the
    redacted copy. Audits ``case.item_shared`` (the item's kind and id, whether redacted; never
    content). Checks nobody: interfaces call ``workflows.services.case_record_share``."""
    if (message is None) == (evidence is None):
        raise InvalidReport("Share one message or one file at a time.")
    item = message if message is not None else evidence
    if item is None or item.case_id != case.pk:
        raise InvalidReport("That is not on this case.")
    text = _clean_text(redacted, what="The redacted copy", required=False)
    if evidence is not None and len(text) > 255:
        raise InvalidReport("A file name is at most 255 characters.")
    with transaction.atomic():
        locked = _lock(case)
        share = SharedItem.objects.select_for_update().filter(
            message=message, evidence=evidence
        ).first() or SharedItem(case=locked, message=message, evidence=evidence)
        share.shared_by = actor
        share.shared_at = timezone.now()
        share.redacted = (
            case_cipher(locked.pk).seal(
                text.encode(), model_label="cases.shareditem", field="redacted", row_id=share.pk
            )
            if text
            else None
        )
        if share._state.adding:
            share.save(force_insert=True)
        else:
            share.save(update_fields=["shared_by", "shared_at", "redacted"])
        event_record(
            case=locked,
            code="case.item_shared",
            actor=actor,
            payload={"item": _shared_kind(message), "id": str(item.pk), "redacted": bool(text)},
        )
    return share


def item_unshare(
    *, case: Case, actor: User, message: Message | None = None, evidence: Evidence | None = None
) -> bool:
    """Stop sharing one message, note or file with the case's external investigators; its
    redacted copy goes with it. Returns whether it was shared; audits ``case.item_unshared``
    when it was (nothing happened otherwise). Checks nobody: interfaces call
    ``workflows.services.case_record_unshare``."""
    if (message is None) == (evidence is None):
        raise InvalidReport("Stop sharing one message or one file at a time.")
    item = message if message is not None else evidence
    if item is None or item.case_id != case.pk:
        raise InvalidReport("That is not on this case.")
    with transaction.atomic():
        locked = _lock(case)
        share = (
            SharedItem.objects.select_for_update()
            .filter(case=locked, message=message, evidence=evidence)
            .first()
        )
        if share is None:
            return False
        share.delete()
        event_record(
            case=locked,
            code="case.item_unshared",
            actor=actor,
            payload={"item": _shared_kind(message), "id": str(item.pk)},
        )
    return True


# --- Confidential reporting (docs/decisions/0031-confidential-reporting.md) -----------------


def identity_consent(*, case: Case) -> bool:
    """Record that a confidential reporter agrees that those working the case may see their
    name and contact details (from their follow-up page; the day only). Returns whether it
    changed anything: a case with no confidential reporter, or one already shared, is left
    as it is. Audits ``case.identity_shared_by_reporter`` (no payload)."""
    day = reporter_time()
    with transaction.atomic():
        locked = _lock(case)
        row = ReporterIdentity.objects.select_for_update().filter(case=locked).first()
        if row is None or row.shared:
            return False
        row.consented_on = day.date()
        row._history_date = day  # type: ignore[attr-defined]  # the reporter's day only
        row.save(update_fields=["consented_on"])
        event_record(case=locked, code="case.identity_shared_by_reporter", at=day)
    return True


def identity_reveal(*, case: Case, actor: User, reason: str) -> ReporterIdentity:
    """The confidential contact reveals a confidential reporter's identity to those working
    the case, for ``reason`` (required; sealed under the case's key and shown to the reporter
    on their follow-up page). Queues the reporter's "there is news" e-mail when they left an
    address (no content). Audits ``case.identity_revealed`` (no payload: the reason stays
    sealed). Raises ``InvalidReport`` without a reason, without a confidential reporter, or
    when already shared. Checks nobody: interfaces call
    ``permissions.services.case_identity_reveal``, which does."""
    text = _clean_text(reason, what="The reason")
    with transaction.atomic():
        locked = _lock(case)
        row = ReporterIdentity.objects.select_for_update().filter(case=locked).first()
        if row is None:
            raise InvalidReport("This report was not made confidentially.")
        if row.shared:
            raise InvalidReport("The reporter's identity is already shared.")
        row.revealed_at = timezone.now()
        row.revealed_by = actor
        row.reveal_reason = case_cipher(locked.pk).seal(
            text.encode(),
            model_label="cases.reporteridentity",
            field="reveal_reason",
            row_id=locked.pk,
        )
        row.save(update_fields=["revealed_at", "revealed_by", "reveal_reason"])
        event_record(case=locked, code="case.identity_revealed", actor=actor)
        reporter_news_record(locked)  # "there is news on your report", if they left an address
    return row


# --- The anonymous stub a purge leaves (retention/purge.py) ---------------------------------

# What a purged case keeps, for trend reports: its type, category, unit, the state it closed
# in and its outcome, the months (never the days) it was received and closed with the number
# of days between them, whether the reporter gave a name (not the name) and the channel the
# report came by, so that every report reads the same before and after the purge. Its
# reference stays too: a random identifier that its identifier-only audit events and its
# deletion record are read by.
# Every other column is emptied by ``cases_reduce_to_stub``.
STUB_FIELDS = frozenset(
    {"id", "reference", "case_type", "category", "org_unit", "state", "received_on"}
    | {"closed_on", "days_to_close", "outcome", "reporter_named", "channel"}
)


def cases_reduce_to_stub(*, case_ids: list[uuid.UUID]) -> int:
    """Empty every column of these cases but ``STUB_FIELDS``, and date them to months, in one
    statement. Returns the rows changed.

    For the purge only, inside its transaction and after the cases' history rows are gone:
    a stub gets no history row of its own (the purge's deletion record and audit event say
    what happened), so this writes with a plain queryset past ``HistoryTrackedQuerySet``.
    """
    rows: models.QuerySet[Case] = models.QuerySet(model=Case).filter(among("pk", case_ids))
    return rows.update(
        answers=b"",
        reporter_contact=None,
        redacted_answers=None,
        token_digest=None,
        mediation_consented_on=None,
        police_referred_on=None,
        # Read before the dates are cut (an UPDATE reads every column as the row was).
        days_to_close=DaysBetween("received_on", "closed_on"),
        received_on=TruncMonth("received_on", output_field=models.DateField()),
        closed_on=TruncMonth("closed_on", output_field=models.DateField()),
    )
