"""Reads: who holds a case (whom its reminders reach), a person's notifications and the
header count, and the reminder health figures for the operators' page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.models import Case
from notifications.models import (
    Delivery,
    Digest,
    EmailChoice,
    EmailPreference,
    Notification,
    Reminder,
    ReminderState,
    ScanRun,
)
from permissions.models import CaseExclusion
from permissions.roles import Role
from permissions.selectors import people_working_on, people_working_on_each


def triage_leads_of(case: Case) -> QuerySet[User]:
    """Active triage leads in the team that triages ``case``'s type, not excluded from it."""
    team_id = case.case_type.triage_team_id
    if team_id is None:
        return User.objects.none()
    excluded = CaseExclusion.objects.filter(case=case, user=OuterRef("pk"))
    return (
        User.objects.filter(is_active=True, groups__name=Role.TRIAGE_LEAD.value)
        .filter(groups__pk=team_id)
        .exclude(Exists(excluded))
        .distinct()
        .order_by("username")
    )


def case_holders(case: Case) -> list[User]:
    """The people who hold ``case`` now: those with a live grant to work it (the per-case
    grants, to them or to a team they are in, no exclusion); nobody, then the triage leads of
    its case type's triage team."""
    holders = list(people_working_on(case))
    return holders or list(triage_leads_of(case))


def case_holders_each(cases: Iterable[Case]) -> dict[uuid.UUID, list[User]]:
    """``case_holders`` for many cases at once (their case types read with them), in at most
    six queries however many cases: the day's rounds tell hundreds of cases' holders."""
    cases = list(cases)
    working = people_working_on_each(case.pk for case in cases)
    unheld = [case for case in cases if case.pk not in working]
    teams = {t for case in unheld if (t := case.case_type.triage_team_id) is not None}
    leads: dict[int, set[int]] = {}
    excluded: set[tuple[uuid.UUID, int]] = set()
    if teams:
        members = User.groups.through.objects.filter(
            group_id__in=teams, user__is_active=True, user__groups__name=Role.TRIAGE_LEAD.value
        ).values_list("group_id", "user_id")
        for team_id, user_id in members:
            leads.setdefault(team_id, set()).add(user_id)
        excluded = set(
            CaseExclusion.objects.filter(case__in=[case.pk for case in unheld]).values_list(
                "case_id", "user_id"
            )
        )
    ids = {
        case.pk: working.get(case.pk)
        or {
            user_id
            for user_id in leads.get(case.case_type.triage_team_id or 0, set())
            if (case.pk, user_id) not in excluded
        }
        for case in cases
    }
    people = User.objects.in_bulk(set().union(*ids.values())) if ids else {}
    return {
        case_id: sorted((people[pk] for pk in user_ids), key=lambda user: user.username)
        for case_id, user_ids in ids.items()
    }


def notifications_of(user: User, limit: int = 100) -> QuerySet[Notification]:
    """``user``'s notifications, newest first (the workspace list)."""
    return Notification.objects.filter(recipient=user).select_related("case")[:limit]


def attention_count(user: User) -> int:
    """How many cases (or case-less notices) wait for ``user``: one indexed query."""
    counts = Notification.objects.filter(recipient=user, read_at__isnull=True).aggregate(
        cases=Count("case", distinct=True), loose=Count("pk", filter=Q(case__isnull=True))
    )
    return int(counts["cases"]) + int(counts["loose"])


@dataclass(frozen=True)
class ReminderHealth:
    last_scan_at: dt.datetime | None
    last_scan_ms: int | None
    due: int  # reminders claimed and not yet handled
    sent: int  # e-mails sent in the last day
    failed: int  # e-mails that failed in the last day
    waiting: int  # e-mails waiting in the outbox


def reminder_health(now: dt.datetime | None = None) -> ReminderHealth:
    """Last scan time and duration; reminders waiting; e-mails sent and failed in the last
    day. Four small queries, counts only."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=1)
    last = ScanRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    active = (Delivery.PENDING, Delivery.SENDING)
    mail = Notification.objects.filter(
        Q(delivery__in=active) | Q(emailed_at__gte=since) | Q(claimed_at__gte=since)
    ).aggregate(
        sent=Count("pk", filter=Q(delivery=Delivery.SENT, emailed_at__gte=since)),
        failed=Count("pk", filter=Q(delivery=Delivery.FAILED, claimed_at__gte=since)),
        waiting=Count("pk", filter=Q(delivery__in=active)),
    )
    digests = Digest.objects.filter(claimed_at__gte=since).aggregate(
        sent=Count("pk", filter=Q(delivery=Delivery.SENT)),
        failed=Count("pk", filter=Q(delivery=Delivery.FAILED)),
    )
    return ReminderHealth(
        last_scan_at=last.started_at if last else None,
        last_scan_ms=last.duration_ms if last else None,
        due=Reminder.objects.filter(state=ReminderState.CLAIMED).count(),
        sent=int(mail["sent"]) + int(digests["sent"]),
        failed=int(mail["failed"]) + int(digests["failed"]),
        waiting=int(mail["waiting"]),
    )


def email_choice_of(user: User) -> str:
    """``immediate`` or ``digest``: how ``user`` chose to hear (straight away by default)."""
    found = EmailPreference.objects.filter(user=user).values_list("email", flat=True).first()
    return found or EmailChoice.IMMEDIATE
