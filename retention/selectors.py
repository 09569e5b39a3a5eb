"""Reads about retention: which cases are due, when the next fall due, what the reporter is
told, and the records the staff pages list. Writes nothing.

``cases_due`` is the one definition of "due" that both the purge and its dry run use, so the
preview lists exactly what the next run deletes (each case is checked again under its lock).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_rows_for_system
from retention.models import ChangeStatus, DeletionRecord, LegalHold, PolicyChange, RetentionPolicy


def _policies() -> dict[int, RetentionPolicy]:
    return {policy.case_type_id: policy for policy in RetentionPolicy.objects.all()}


def _not_purged_not_held() -> QuerySet[Case]:
    held = LegalHold.objects.filter(case=OuterRef("pk"), lifted_at__isnull=True)
    purged = DeletionRecord.objects.filter(case=OuterRef("pk"))
    return (
        case_rows_for_system()
        .filter(closed_on__isnull=False)
        .exclude(Exists(held))
        .exclude(Exists(purged))
    )


def cases_due(today: dt.date | None = None) -> list[uuid.UUID]:
    """Ids of the cases whose content the purge deletes today, oldest closure first: closed
    at least their policy's ``content_days`` ago, not purged and under no active hold. A case
    type without a policy keeps its cases (never deleted by default)."""
    today = today or timezone.localdate()
    due: list[tuple[dt.date, str, uuid.UUID]] = []
    for type_id, policy in _policies().items():
        cutoff = today - dt.timedelta(days=policy.content_days)
        rows = _not_purged_not_held().filter(case_type_id=type_id, closed_on__lte=cutoff)
        due += [
            (closed, str(pk), pk)
            for pk, closed in rows.values_list("pk", "closed_on")
            if closed is not None
        ]
    return [pk for _, _, pk in sorted(due)]


def case_references(ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The references of the given cases, for the preview and the command's listing."""
    return dict(case_rows_for_system().filter(pk__in=ids).values_list("pk", "reference"))


def case_is_due(case: Case, today: dt.date) -> bool:
    """The same rule for one case, asked again under its lock by the purge."""
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    return (
        policy is not None
        and case.closed_on is not None
        and case.closed_on + dt.timedelta(days=policy.content_days) <= today
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
    held cases already past their date (marked ``held``): references and dates only."""
    today = today or timezone.localdate()
    held = LegalHold.objects.filter(case=OuterRef("pk"), lifted_at__isnull=True)
    purged = DeletionRecord.objects.filter(case=OuterRef("pk"))
    rows: list[UpcomingRow] = []
    for type_id, policy in _policies().items():
        days = dt.timedelta(days=policy.content_days)
        found = (
            case_rows_for_system()
            .filter(case_type_id=type_id, closed_on__isnull=False)
            .exclude(Exists(purged))
            .annotate(held=Exists(held))
            .values_list("reference", "closed_on", "held")
        )
        name = policy.case_type.name
        rows += [
            UpcomingRow(ref, name, closed + days, held_)
            for ref, closed, held_ in found
            if closed is not None and (closed + days > today or held_)
        ]
    return sorted(rows, key=lambda row: (row.due_on, row.reference))[:limit]


def content_days(case: Case) -> int | None:
    """How many days after closure the case's content is kept (``None``: no policy)."""
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    return policy.content_days if policy else None


def deletion_date(case: Case) -> dt.date | None:
    """The day a case's content is due to go, or ``None`` while it is open or its type has no
    policy (the reporter is then told it is kept until a period after closure)."""
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    if policy is None or case.closed_on is None:
        return None
    return case.closed_on + dt.timedelta(days=policy.content_days)


def token_opens(case: Case, today: dt.date | None = None) -> bool:
    """Whether the reporter's token still opens the case: until ``token_days`` after closure
    (always while it is open, or when its type has no policy), and never once purged."""
    today = today or timezone.localdate()
    if case.token_digest is None:
        return False
    policy = RetentionPolicy.objects.filter(case_type_id=case.case_type_id).first()
    if policy is None or case.closed_on is None:
        return True
    return today < case.closed_on + dt.timedelta(days=policy.token_days)


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
    """Active holds past their review day: the administrators' list (and, once wired, the
    reminders)."""
    today = today or timezone.localdate()
    return holds_active().filter(review_on__lt=today)


def deletion_records(limit: int = 50) -> QuerySet[DeletionRecord]:
    return DeletionRecord.objects.select_related("case")[:limit]
