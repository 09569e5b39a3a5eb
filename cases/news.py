"""The reporter's e-mail: "there is news on your report", and nothing else.

A reporter may give contact details (sealed under the case's key: in the case's
``reporter_contact``; a confidential reporter's with their name in its ``ReporterIdentity``,
the case's own then sealed empty, decision 0031). When those hold an e-mail
address, a message from the handler or a change of stage the reporter can see adds one row
to the outbox (``ReporterNews``), in the same transaction as the change and without asking
the broker, so staff work goes on with Redis down. A pending row for the case already
waiting takes the news in: one e-mail however much happens at once.

The periodic scan (``cases.tasks.scan_reporter_news``) hands pending rows to a task after
its own commit; the task claims the row with a conditional UPDATE (pending to sending) before
it sends, so a task run twice, on two workers, or again after a crash sends at most one
e-mail (the same steps as ``notifications/delivery.py``). Refused by the mail server: tried
again after 1, 2, 4, 8 minutes, then failed.

What the e-mail says, in English and then in Welsh (nothing records which language a reporter
chose, so both go: docs/decisions/0025-welsh.md): that there is news, and to come back with the
case token. No link (a
link could carry nothing useful without the token, and the token is never sent), no
reference, no case type, no content. The address is opened from the sealed contact details
only while sending, never written anywhere, never logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import smtplib
from collections.abc import Callable
from functools import partial

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from cases.exceptions import CryptoError
from cases.keys import case_cipher
from cases.models import Case, DataKey, NewsDelivery, ReporterIdentity, ReporterNews

log = logging.getLogger("speakup.news")

MAX_ATTEMPTS = 5
# A row still "sending" this long after it was claimed belongs to a worker that died between
# claiming and settling: whether the server took the e-mail is unknown, so it is recorded
# failed ("interrupted") rather than risk a second e-mail.
SENDING_LEASE = dt.timedelta(minutes=10)
SUBJECT = gettext_lazy("There is news on your report")
# The e-mail's languages, in order: the reporter side's (English, and Welsh at /cy/).
NEWS_LANGUAGES = ("en-gb", "cy")
_CANDIDATE = re.compile(r"[^\s,;<>()\"']+@[^\s,;<>()\"']+")


def _in(language: str, text: object) -> str:
    with translation.override(language):
        return str(text)


def email_in(contact: str) -> str | None:
    """The first e-mail address in free-text contact details, or ``None`` (a phone number,
    a name, anything that is not an address)."""
    for found in _CANDIDATE.findall(contact):
        candidate = str(found).rstrip(".")
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return None


def reporter_news_record(case: Case) -> ReporterNews | None:
    """Queue "there is news on your report" for ``case``'s reporter, in the caller's
    transaction: nothing when they left no contact details, or when an e-mail is already
    waiting (it carries this news too). Whether the details hold an address is decided when
    sending, so nothing here opens them. (A confidential reporter who gave contact details has
    them sealed with their name, and the case's own sealed empty: ``cases.services.case_create``,
    so that this asks nothing more of the database for them than for anyone.)"""
    if case.reporter_contact is None:
        return None
    if ReporterNews.objects.filter(case=case, delivery=NewsDelivery.PENDING).exists():
        return None
    now = timezone.now()
    return ReporterNews.objects.create(case=case, created_at=now, next_attempt_at=now)


def reporter_news_due(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of the pending e-mails whose time has come (for the scan to hand to tasks)."""
    return list(
        ReporterNews.objects.filter(
            delivery=NewsDelivery.PENDING, next_attempt_at__lte=now or timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _settle(pk: int, claimed_at: dt.datetime, **fields: object) -> None:
    ReporterNews.objects.filter(pk=pk, delivery=NewsDelivery.SENDING, claimed_at=claimed_at).update(
        **fields
    )


def _address(news: ReporterNews) -> str | None:
    case = news.case
    if case.reporter_contact is None:
        return None
    contact = bytes(
        case_cipher(case.pk).open(
            bytes(case.reporter_contact),
            model_label="cases.case",
            field="reporter_contact",
            row_id=case.pk,
        )
    ).decode()
    # Empty: a confidential reporter's, sealed with their name (decision 0031).
    return email_in(contact) if contact else _confidential_address(case)


def _confidential_address(case: Case) -> str | None:
    """The address in a confidential reporter's sealed contact details, if any."""
    row = ReporterIdentity.objects.filter(case_id=case.pk).first()
    if row is None:
        return None
    opened = case_cipher(case.pk).open(
        bytes(row.identity),
        model_label="cases.reporteridentity",
        field="identity",
        row_id=case.pk,
    )
    return email_in(str(json.loads(opened).get("contact", "")))


def reporter_news_deliver(news_id: int) -> str:
    """Send one pending news e-mail, at most once. Returns what happened: ``sent``,
    ``skipped`` (no address, the case's content purged), ``retry``, ``failed`` or
    ``already`` (another run took it)."""
    now = timezone.now()
    claimed = ReporterNews.objects.filter(pk=news_id, delivery=NewsDelivery.PENDING).update(
        delivery=NewsDelivery.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        log.info("reporter news not taken", extra={"id": news_id})
        return "already"
    news = ReporterNews.objects.select_related("case").get(pk=news_id)
    address: str | None = None
    why = ""
    if not DataKey.objects.filter(case_id=news.case_id).exists():
        why = "purged"
    else:
        try:
            address = _address(news)
        except CryptoError:
            why = "unreadable"
        if address is None and not why:
            why = "no_address"
    if address is None:
        _settle(news_id, now, delivery=NewsDelivery.SKIPPED, outcome=why)
        log.info("reporter news not sent", extra={"id": news_id, "why": why})
        return "skipped"
    subject = " / ".join(_in(language, SUBJECT) for language in NEWS_LANGUAGES)
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("cases/email/reporter_news.txt"), to=[address]
    )
    message.attach_alternative(
        render_to_string("cases/email/reporter_news.html", {"subject": subject}), "text/html"
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        if news.attempts >= MAX_ATTEMPTS:
            _settle(news_id, now, delivery=NewsDelivery.FAILED, outcome="smtp")
            log.warning(
                "reporter news failed", extra={"id": news_id, "error": type(error).__name__}
            )
            return "failed"
        wait = 60 * 2 ** max(news.attempts - 1, 0)
        _settle(
            news_id,
            now,
            delivery=NewsDelivery.PENDING,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
            outcome="smtp",
        )
        log.info("reporter news refused, will retry", extra={"id": news_id, "wait": wait})
        return "retry"
    _settle(news_id, now, delivery=NewsDelivery.SENT, emailed_at=timezone.now(), outcome="")
    log.info("reporter news sent", extra={"id": news_id})
    return "sent"


def reporter_news_scan(enqueue: Callable[[int], object]) -> int:
    """Hand every due e-mail to ``enqueue`` (a task's ``delay``) after this transaction
    commits; returns how many. A task that never arrives leaves its row pending for the next
    scan; one that arrives twice sends once. Rows left "sending" past ``SENDING_LEASE`` are
    recorded failed first."""
    now = timezone.now()
    interrupted = ReporterNews.objects.filter(
        delivery=NewsDelivery.SENDING, claimed_at__lt=now - SENDING_LEASE
    ).update(delivery=NewsDelivery.FAILED, outcome="interrupted")
    if interrupted:
        log.warning("reporter news interrupted", extra={"count": interrupted})
    due = reporter_news_due(now)
    with transaction.atomic():
        for pk in due:
            transaction.on_commit(partial(enqueue, pk))
    return len(due)
