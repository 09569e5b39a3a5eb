"""Reads about retention: which cases are due, when the next fall due, what the reporter is
told, and the records the staff pages list. Writes nothing.

``cases_due`` is the one definition of "due" that both the purge and its dry run use, so the
preview lists exactly what the next run deletes (each case is checked again under its lock).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_rows_for_system
from retention.models import ChangeStatus, DeletionRecord, LegalHold, PolicyChange, RetentionPolicy


def _policies() -> dict[int, RetentionPolicy]:
    return {
        policy.case_type_id: policy
        for policy in RetentionPolicy.objects.select_related("case_type")
    }


def retention_start(case: Case) -> dt.date | None:
    """The day a case's retention periods count from: the later of its closing day and the
    day the reporter's check-in reopened it, so a reopened case keeps its content (and its
    reporter their token) for a whole period after that. ``None`` while the case is open or
    still needs attention after the check-in: its content is not due to go."""
    if case.closed_on is None or case.attention_since is not None:
        return None
    reopened = case.reopened_by_checkin_on
    return max(case.closed_on, reopened) if reopened else case.closed_on


def _started() -> QuerySet[Any]:
    """Closed cases not waiting on the check-in's attention, with ``start`` (the same rule as
    ``retention_start``, in SQL)."""
    return (
        case_rows_for_system()
        .filter(closed_on__isnull=False, attention_since__isnull=True)
        .annotate(
            start=Greatest(F("closed_on"), Coalesce(F("reopened_by_checkin_on"), F("closed_on")))
        )
    )


def _not_purged_not_held() -> QuerySet[Any]:
    held = LegalHold.objects.filter(case=OuterRef("pk"), lifted_at__isnull=True)
    purged = DeletionRecord.objects.filter(case=OuterRef("pk"))
    return _started().exclude(Exists(held)).exclude(Exists(purged))


def cases_due_rows(today: dt.date | None = None) -> QuerySet[Any]:
    """The cases whose content the purge deletes today, oldest first (``start``, then id):
    closed (or reopened by the check-in, see ``retention_start``) at least their policy's
    ``content_days`` ago, not purged and under no active hold. A case type without a policy
    keeps its cases (never deleted by default). One query, so the purge can take it a batch
    at a time under row locks, and its dry run lists exactly the same cases."""
    today = today or timezone.localdate()
    due, latest = Q(pk__in=[]), None
    for type_id, policy in _policies().items():
        cutoff = today - dt.timedelta(days=policy.content_days)
        due |= Q(case_type_id=type_id, start__lte=cutoff)
        latest = max(latest or cutoff, cutoff)
    if latest is None:  # no policy: nothing is ever due
        return _started().none()
    # ``closed_on`` is never after ``start``, so closed by the latest cutoff is the same rule
    # in a form the index ``case_live_closed_on`` serves as one range. A stub has no token
    # digest (and a deletion record, which is the rule): leaving stubs out first lets that
    # index skip every case purged before.
    live = _not_purged_not_held().filter(token_digest__isnull=False, closed_on__lte=latest)
    return live.filter(due).order_by("start", "pk")


def cases_due(today: dt.date | None = None) -> list[uuid.UUID]:
    """Ids of ``cases_due_rows``, in the same order."""
    return list(cases_due_rows(today).values_list("pk", flat=True))


def audit_events_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Cases purged at or before this moment have their audit events removed."""
    days = settings.SPEAKUP_AUDIT_RETENTION_DAYS
    return (now or timezone.now()) - dt.timedelta(days=days)


def records_with_events_due(now: dt.datetime | None = None) -> QuerySet[DeletionRecord]:
    """Deletion records of the cases whose audit events go on the next run, oldest purge
    first: purged at least ``SPEAKUP_AUDIT_RETENTION_DAYS`` ago, events not yet removed."""
    return DeletionRecord.objects.filter(
        audit_events_purged_at__isnull=True, purged_at__lte=audit_events_cutoff(now)
    ).order_by("purged_at", "case_id")


def audit_events_due(now: dt.datetime | None = None) -> list[uuid.UUID]:
    """Their case ids: what ``retention.events.audit_events_purge`` and its dry run take."""
    return list(records_with_events_due(now).values_list("case_id", flat=True))


def case_references(ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The references of the given cases, for the preview and the command's listing."""
    return dict(case_rows_for_system().filter(pk__in=ids).values_list("pk", "reference"))


def case_is_due(case: Case, today: dt.date) -> bool:
    """The same rule for one case, asked again under its lock by the purge."""
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    start = retention_start(case)
    return (
        policy is not None
        and start is not None
        and start + dt.timedelta(days=policy.content_days) <= today
        and not LegalHold.objects.filter(case_id=case.pk, lifted_at__isnull=True).exists()
        and not DeletionRecord.objects.filter(case_id=case.pk).exists()
    )


@dataclass(frozen=True)
class UpcomingRow:
    reference: str
    case_type: str
    due_on: dt.date
    held: bool


def cases_upcoming(today: dt.date | None = None, *, limit: int = 50) -> list[UpcomingRow]:
    """The next cases to fall due after today (closed, not purged), soonest first, and the
    held cases already past their date (marked ``held``): references and dates only. One
    query per case type with a policy, each sorted and cut to ``limit`` by the database (a
    type's cases fall due in the order they started), so the page reads ``limit`` rows a
    type however many cases are closed."""
    today = today or timezone.localdate()
    held = LegalHold.objects.filter(case=OuterRef("pk"), lifted_at__isnull=True)
    purged = DeletionRecord.objects.filter(case=OuterRef("pk"))
    rows: list[UpcomingRow] = []
    for type_id, policy in _policies().items():
        days = dt.timedelta(days=policy.content_days)
        found = (
            _started()
            .filter(case_type_id=type_id)
            .exclude(Exists(purged))
            .annotate(held=Exists(held))
            .filter(Q(start__gt=today - days) | Q(held=True))
            .order_by("start", "reference")
            .values_list("reference", "start", "held")[:limit]
        )
        name = policy.case_type.name
        rows += [UpcomingRow(ref, name, started + days, held_) for ref, started, held_ in found]
    return sorted(rows, key=lambda row: (row.due_on, row.reference))[:limit]


def content_days(case: Case) -> int | None:
    """How many days after closure the case's content is kept (``None``: no policy)."""
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    return policy.content_days if policy else None


def deletion_date(case: Case) -> dt.date | None:
    """The day a case's content is due to go, or ``None`` while it is open or its type has no
    policy (the reporter is then told it is kept until a period after closure)."""
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    start = retention_start(case)
    if policy is None or start is None:
        return None
    return start + dt.timedelta(days=policy.content_days)


def token_opens(case: Case, today: dt.date | None = None) -> bool:
    """Whether the reporter's token still opens the case: until ``token_days`` after closure
    (always while it is open, or when its type has no policy), and never once purged."""
    today = today or timezone.localdate()
    if case.token_digest is None:
        return False
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    start = retention_start(case)
    if policy is None or start is None:
        return True
    return today < start + dt.timedelta(days=policy.token_days)


def policy_rows() -> list[tuple[object, RetentionPolicy | None]]:
    """Every case type with its policy (or none), for the retention page."""
    from cases.models import CaseType

    policies = _policies()
    return [(ct, policies.get(ct.pk)) for ct in CaseType.objects.order_by("position", "name")]


def policy_changes(*, pending: bool) -> QuerySet[PolicyChange]:
    changes = PolicyChange.objects.select_related(
        "case_type", "proposed_by", "confirmed_by", "closed_by"
    )
    if pending:
        return changes.filter(status=ChangeStatus.PENDING)
    return changes.exclude(status=ChangeStatus.PENDING)[:50]


def holds_active() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(lifted_at__isnull=True).select_related("case", "placed_by")


def holds_overdue(today: dt.date | None = None) -> QuerySet[LegalHold]:
    """Active holds past their review day: the administrators' list, and the governance
    leads' reminder (``retention.services.holds_review_remind``)."""
    today = today or timezone.localdate()
    return holds_active().filter(review_on__lt=today)


def deletion_records(limit: int = 50) -> QuerySet[DeletionRecord]:
    return DeletionRecord.objects.select_related("case")[:limit]
