"""Writes of the reporter side: filing a report. The only place a report becomes a case.

``report_file`` keeps two promises:

- **All or nothing for the report.** The case, its data key, its deadlines, its submission
  key and its files commit together, or none of them does, and the reporter can send again.
- **Nothing can fail after the commit.** Everything the token page shows (the token, the
  receipt, the dates ahead, the files, the branding and the support offered) is read inside
  the transaction, before it commits, and handed back in memory. The view renders the page
  from that alone, so once a report is committed its token always reaches the reporter.

A file that cannot be stored (a full disk, a fault in one file's write) does not cost the
report: it is left out in its own savepoint and the token page says which file to add again
on follow-up. Files that fail their checks never reach here (the reporter chooses first).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

from cases.checkin import CheckinStatus, checkin_status
from cases.exceptions import CheckinClosed, SpeakUpError
from cases.models import (
    Case,
    CaseType,
    Category,
    CheckinAnswer,
    Evidence,
    MessageKind,
    OrganisationalUnit,
)
from cases.services import (
    Confidential,
    case_checkin_record,
    case_lock,
    evidence_attach,
    evidence_staging,
    message_add,
    reporter_time,
)
from cases.tokens import token_display
from intake.configuration import configuration
from intake.files import CleanedFile
from intake.language import org_text
from intake.models import Branding, SubmissionKey, SupportResource
from intake.progress import progress_of
from intake.receipts import receipt_make
from intake.selectors import support_list_for
from notifications.kinds import CASE_NEWS, CHECKIN_CONCERN, NEW_REPORT
from notifications.services import staff_news_record
from workflows.models import Clock
from workflows.services import case_file

logger = logging.getLogger("speakup.intake")


class AlreadySent(SpeakUpError):
    message = gettext_lazy("This report has already been sent.")  # type: ignore[assignment]


class ReportNotSaved(SpeakUpError):
    message = gettext_lazy("Your report could not be saved just now. Nothing was kept.")  # type: ignore[assignment]


@dataclass(frozen=True)
class FileOutcome:
    safe_name: str
    removed: tuple[str, ...]
    kept: bool


@dataclass(frozen=True)
class Filed:
    """What the token page shows, read before the commit."""

    token: str  # as shown: groups of four
    receipt: str
    case_type_name: str
    received_on: dt.date
    commitments: tuple[str, ...]
    trend_only: bool
    files: tuple[FileOutcome, ...]
    category_id: int | None
    branding: Branding
    support: list[SupportResource] = field(default_factory=list)


def submission_digest(submission_key: str) -> bytes:
    """The only form in which a check-your-answers form's random key is stored."""
    return salted_hmac("speakup.submission", submission_key, algorithm="sha256").digest()


# How long a used check-your-answers key is remembered: far longer than anyone keeps a form
# open before pressing "Send" again; after that the key refuses nothing and is deleted by the
# retention job (registered in intake/apps.py).
SUBMISSION_KEY_DAYS = 30


def submission_keys_purge(now: dt.datetime) -> int:
    """Delete submission keys used more than ``SUBMISSION_KEY_DAYS`` ago; returns how many."""
    oldest = timezone.localdate(now) - dt.timedelta(days=SUBMISSION_KEY_DAYS)
    deleted, _ = SubmissionKey.objects.filter(used_on__lt=oldest).delete()
    return deleted


def report_file(
    *,
    case_type: CaseType,
    answers: dict[str, str],
    category: Category | None,
    org_unit: OrganisationalUnit | None,
    reporter_named: bool,
    reporter_contact: str,
    files: list[CleanedFile],
    submission_key: str,
    confidential: Confidential | None = None,
) -> Filed:
    """File a report and return everything its token page needs.

    Raises ``AlreadySent`` when this submission key was used before (nothing new is filed),
    and ``ReportNotSaved`` when the report could not be committed (nothing is kept: no row,
    no file). Audits through ``case_file`` and ``evidence_attach``.
    """
    try:
        # Files whose rows do not commit are removed when the block ends (or, if the database
        # cannot be asked then, by the storage sweep): never a file without its row.
        with evidence_staging(), transaction.atomic():
            try:
                with transaction.atomic():
                    SubmissionKey.objects.create(
                        digest=submission_digest(submission_key), used_on=reporter_time().date()
                    )
            except IntegrityError:
                raise AlreadySent() from None
            started: list[Clock] = []
            case, token = case_file(
                case_type=case_type,
                answers=answers,
                category=category,
                org_unit=org_unit,
                reporter_named=reporter_named,
                reporter_contact=reporter_contact,
                started=started,
                confidential=confidential,
            )
            outcomes = []
            for cleaned in files:
                outcomes.append(_attach(case, cleaned))
            staff_news_record(case, NEW_REPORT)  # told at the next round, not now (0009)
            # A new case has only the clocks just started; the branding is read once.
            progress = progress_of(case, clocks=started)
            brand = configuration().branding
            filed = Filed(
                token=token_display(token),
                receipt=receipt_make(case_type=case_type, day=case.received_on, brand=brand),
                case_type_name=str(org_text(case_type, "name")),
                received_on=case.received_on,
                commitments=tuple(progress.commitments),
                trend_only=progress.trend_only,
                files=tuple(outcomes),
                category_id=category.pk if category else None,
                branding=brand,
                support=support_list_for([category.pk] if category else []),
            )
            _refuse_silent_rollback()
    except AlreadySent:
        raise
    except Exception as error:
        logger.warning("a report could not be saved; nothing was kept (%s)", type(error).__name__)
        raise ReportNotSaved() from error
    return filed


def _refuse_silent_rollback() -> None:
    """Raise inside an atomic block that would end in a rollback without an error: after a
    savepoint that could not be rolled back, or a connection lost mid-transaction, Django
    rolls the whole block back quietly, and a caller would take it for committed."""
    if transaction.get_rollback() or connection.closed_in_transaction:
        raise ReportNotSaved()


def _attach(case: Case, cleaned: CleanedFile) -> FileOutcome:
    try:
        with transaction.atomic():
            _store(case, cleaned)
    except Exception as error:
        # The kind of fault only: never the file's name or content.
        logger.warning("an evidence file could not be stored (%s)", type(error).__name__)
        return FileOutcome(cleaned.safe_name, tuple(cleaned.removed), kept=False)
    return FileOutcome(cleaned.safe_name, tuple(cleaned.removed), kept=True)


def _store(case: Case, cleaned: CleanedFile) -> Evidence:
    return evidence_attach(
        case=case,
        source=io.BytesIO(cleaned.content),
        original_name=cleaned.safe_name,
        content_type=cleaned.content_type,
    )


class FilesNotSaved(SpeakUpError):
    message = gettext_lazy("Your files could not be kept just now. Nothing was added.")  # type: ignore[assignment]


def evidence_add_for_reporter(*, case: Case, files: list[CleanedFile]) -> None:
    """Add a reporter's files on follow-up: all of them, or none (``FilesNotSaved``, with no
    row and no file left behind). Audits through ``evidence_attach``."""
    try:
        with evidence_staging(), transaction.atomic():
            for cleaned in files:
                _store(case, cleaned)
            staff_news_record(case, CASE_NEWS)
            _refuse_silent_rollback()
    except Exception as error:
        logger.warning("evidence files could not be added (%s)", type(error).__name__)
        raise FilesNotSaved() from error


def reporter_message_send(*, case: Case, body: str) -> None:
    """A reporter's message on follow-up, and the news of it for the people who hold the
    case (told at the next of the day's rounds). Audits through ``message_add``."""
    with transaction.atomic():
        message_add(case=case, kind=MessageKind.FROM_REPORTER, body=body)
        staff_news_record(case, CASE_NEWS)


# --- The check-in after closure -------------------------------------------------------------


class CheckinNotSaved(SpeakUpError):
    message = gettext_lazy("Your answer could not be saved just now. Nothing was kept.")  # type: ignore[assignment]


@dataclass(frozen=True)
class CheckinThanks:
    """What the thank-you page says, read before the commit."""

    answer: str
    new_case: bool  # a "yes" opened a new case rather than reopening attention on this one
    support: list[SupportResource] = field(default_factory=list)


def checkin_answer(*, case: Case, answer: CheckinAnswer, message: str) -> CheckinThanks:
    """Record the reporter's answer to the check-in after closure, once.

    For a "yes", the case type decides: attention reopens on this case, or a new case of the
    same type is filed (holding only the reporter's message, with no link back that its
    handlers could follow) and linked from this one. In one transaction, so a fault keeps
    nothing (``CheckinNotSaved``); ``CheckinClosed`` when the question is not asked or was
    answered before. Everything the thank-you page shows is read before the commit. The
    people working the case hear of a "yes" at the next of the day's rounds, with no content
    (``notifications.services.staff_news_record``). Audits through
    ``cases.services.case_checkin_record``.
    """
    try:
        with transaction.atomic():
            locked = case_lock(case=case, as_model=Case)
            linked: Case | None = None
            opens_case = answer == CheckinAnswer.YES and locked.case_type.checkin_yes_opens_case
            if opens_case:
                # Checked here too, so a refused answer files no new case.
                if checkin_status(locked, today=reporter_time().date()) is not CheckinStatus.ASKED:
                    raise CheckinClosed()
                linked, _token = case_file(
                    case_type=locked.case_type,
                    answers={"what_happened": message.strip()},
                )
            locked = case_checkin_record(case=locked, answer=answer, message=message, linked=linked)
            thanks = CheckinThanks(
                answer=str(answer),
                new_case=linked is not None,
                support=support_list_for([locked.category_id] if locked.category_id else []),
            )
            if answer == CheckinAnswer.YES:
                # Told at the next of the day's rounds, not at once (decision 0009): the
                # handlers of the closed case, and whoever triages the new one.
                staff_news_record(locked, CHECKIN_CONCERN)
                if linked is not None:
                    staff_news_record(linked, NEW_REPORT)
            _refuse_silent_rollback()
    except CheckinClosed:
        raise
    except Exception as error:
        logger.warning("a check-in answer could not be saved (%s)", type(error).__name__)
        raise CheckinNotSaved() from error
    return thanks
