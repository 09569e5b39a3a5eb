"""Writes: notify people, mark notifications read, choose how e-mail comes.

``notify`` is what other apps call. It records one workspace notification per person in the
caller's transaction and marks its e-mail pending (or waiting for the digest) in the same
row: the outbox. It never talks to the broker, so a web request carries on with Redis down;
the reminder scan hands pending rows to a task within minutes (``notifications/tasks.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.exceptions import SpeakUpError
from cases.models import Case
from notifications.kinds import CASE_NEWS, NEW_REPORT, kind_of
from notifications.logs import log
from notifications.models import (
    Delivery,
    EmailChoice,
    EmailPreference,
    Notification,
    StaffNews,
)
from notifications.selectors import case_holders, case_holders_each
from permissions.audit import staff_event_record, staff_event_register


class NotificationNotFound(SpeakUpError):
    message = "That notification was not found."


def _delivery_for(users: list[User]) -> dict[int, str]:
    """How each person's e-mail goes: none without an address (or inactive), else as they
    chose (straight away unless they chose the digest). One query."""
    digest = set(
        EmailPreference.objects.filter(
            user__in=[u.pk for u in users], email=EmailChoice.DIGEST
        ).values_list("user_id", flat=True)
    )
    return {
        user.pk: (
            Delivery.NONE
            if not (user.is_active and user.email)
            else Delivery.DIGEST
            if user.pk in digest
            else Delivery.PENDING
        )
        for user in users
    }


def notify(recipients: Iterable[User], kind: str, case: Case | None = None) -> list[Notification]:
    """Record a notification of ``kind`` (``notifications.kinds``) for each recipient (once
    each), in the caller's transaction, and queue its e-mail in the outbox: straight away or
    in the daily digest, as each person chose; nothing for a person without an address, who
    still sees it in the workspace. Says nothing of the case but that it needs attention."""
    return _notify_each([(recipients, kind, case)])


def _notify_each(told: list[tuple[Iterable[User], str, Case | None]]) -> list[Notification]:
    """``notify`` for each (recipients, kind, case) at once: one read of the people's e-mail
    choices and one insert, however many."""
    for _people, kind, _case in told:
        kind_of(kind)  # ValueError for a kind that does not exist
    each = [
        (list({user.pk: user for user in people}.values()), kind, case)
        for people, kind, case in told
    ]
    everyone = list({user.pk: user for people, _, _ in each for user in people}.values())
    if not everyone:
        return []
    now = timezone.now()
    delivery = _delivery_for(everyone)
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            case=case,
            created_at=now,
            delivery=delivery[user.pk],
            next_attempt_at=now if delivery[user.pk] == Delivery.PENDING else None,
        )
        for people, kind, case in each
        for user in people
    ]
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
    for people, kind, case in each:
        if people:
            log.info(
                "notify",
                extra={
                    "kind": kind,
                    "case_id": str(case.pk) if case else None,
                    "count": len(people),
                },
            )
    return created


def notify_case_holders(case: Case, kind: str) -> list[Notification]:
    """Notify the people who hold ``case`` now (its handlers by the per-case grants; nobody,
    then the triage leads of its case type)."""
    return notify(case_holders(case), kind, case)


# --- What reporters did, told to staff at the day's fixed rounds ---------------------------

# Rows handed out per transaction of a round: a round of any size holds one batch in memory.
_NEWS_BATCH = 200


def staff_news_record(case: Case, kind: str) -> None:
    """Note that the reporter of ``case`` did something its holders are to be told of
    (``kind``: a new report, news on a case, a check-in concern), in the caller's
    transaction: one insert, nothing if the same news already waits. Told at the next round
    (``staff_news_send``), never at once: see ``notifications.models.StaffNews``."""
    if kind_of(kind).audience != "holders":
        raise ValueError(f"{kind!r} is not told to a case's holders")
    StaffNews.objects.bulk_create(
        [StaffNews(case=case, kind=kind, since=timezone.localdate())], ignore_conflicts=True
    )


def staff_news_send() -> int:
    """One of the day's rounds: notify the holders of each case with news waiting (its
    handlers; nobody yet, then the triage leads of its type) and clear the news, a batch per
    transaction; returns how many pieces of news were told. Safe on two workers at once (each
    row is taken under ``SKIP LOCKED``, or the whole database on SQLite) and after a crash
    (a batch's notifications and its deletes commit together, so news is told once)."""
    told = 0
    while True:
        with transaction.atomic():
            rows = StaffNews.objects.select_related("case__case_type").order_by("pk")
            if transaction.get_connection().features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True, of=("self",))
            batch = list(rows[:_NEWS_BATCH])
            if not batch:
                return told
            # A new report's own news says enough: its replies before the round are not
            # told apart (the holders open a case that is new to them anyway).
            new = {news.case_id for news in batch if news.kind == NEW_REPORT}
            telling = [
                news for news in batch if not (news.kind == CASE_NEWS and news.case_id in new)
            ]
            holders = case_holders_each(news.case for news in telling)
            _notify_each([(holders[news.case_id], news.kind, news.case) for news in telling])
            StaffNews.objects.filter(pk__in=[news.pk for news in batch]).delete()
            told += len(batch)


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read; another's, or none, is not found."""
    with transaction.atomic():
        found = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, recipient=user)
            .first()
        )
        if found is None:
            raise NotificationNotFound()
        if found.read_at is None:
            found.read_at = timezone.now()
            found.save(update_fields=["read_at"])
    return found


def notifications_mark_all_read(*, user: User) -> int:
    """Mark all of ``user``'s notifications read; how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def email_preference_set(*, user: User, email: str) -> EmailPreference:
    """Choose immediate e-mails or a daily digest for oneself. Audited as a staff event."""
    choice = EmailChoice(email)  # ValueError for anything else
    with transaction.atomic():
        preference, _created = EmailPreference.objects.update_or_create(
            user=user, defaults={"email": choice}
        )
        staff_event_record(
            code="notifications.email_choice",
            actor=user,
            user=user,
            payload={"email": choice.value},
        )
    return preference


staff_event_register(
    "notifications.email_choice",
    _("{user} chose how notification e-mails come ({email})."),
    "email",
)
