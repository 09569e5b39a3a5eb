"""Writes about retention: policies and their two-person changes, and legal holds. The purge
itself is ``retention/purge.py``.

Every change is checked against a named predicate (``permissions/predicates.py``) here, not
only in the views, and writes its audit event in the same transaction: policy changes as
staff events (they concern no case), holds as events of their case.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.audit import event_record
from cases.exceptions import SpeakUpError
from cases.keys import case_cipher
from cases.models import CaseType
from cases.selectors import case_rows_for_system
from notifications import kinds
from notifications.services import notify
from permissions.access import case_for_legal_hold
from permissions.audit import staff_event_record
from permissions.predicates import (
    may_confirm_retention_change,
    may_hold_cases,
    may_manage_retention,
)
from permissions.roles import Role
from permissions.selectors import people_with_role
from retention.models import ChangeStatus, LegalHold, PolicyChange, RetentionPolicy
from retention.selectors import holds_overdue

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_DAYS = 100 * 366  # a century: anything longer is a typing mistake, not a policy
MAX_REASON_CHARS = 2000


class RetentionRefused(SpeakUpError):
    message = "That change to retention was refused."


def _check_periods(content_days: int, token_days: int, case_type: CaseType) -> None:
    if content_days <= 0 or token_days <= 0:
        raise RetentionRefused("Each period must be at least one day.")
    if content_days > MAX_DAYS or token_days > MAX_DAYS:
        raise RetentionRefused("A period can be at most a hundred years.")
    if token_days > content_days:
        raise RetentionRefused(
            "The reporter's token must stop working no later than the report is deleted."
        )
    weeks = case_type.checkin_after_weeks
    if weeks and token_days <= weeks * 7:
        # The check-in is answered on the follow-up page, which the token opens.
        raise RetentionRefused(
            f"The reporter's token must keep working past the check-in, which is asked "
            f"{weeks} weeks ({weeks * 7} days) after closure: give it more than {weeks * 7} "
            "days, or change when the check-in is asked."
        )


def checkin_within_token_period(case_type: CaseType) -> None:
    """The same rule from the other side, for any form that edits a case type
    (``cases.models.case_type_rule_register``): its check-in must be asked while the
    reporter's token, under the type's retention policy, still opens the follow-up page."""
    weeks = case_type.checkin_after_weeks
    policy = RetentionPolicy.objects.filter(case_type_id=case_type.pk).first()
    if weeks and policy is not None and policy.token_days <= weeks * 7:
        raise ValidationError(
            {
                "checkin_after_weeks": (
                    f"The reporter's token stops working {policy.token_days} days after "
                    f"closure under this type's retention policy, before a check-in "
                    f"{weeks} weeks ({weeks * 7} days) after closure could be answered: "
                    f"ask it within {(policy.token_days - 1) // 7} weeks, or lengthen the "
                    "token's period on the retention page first."
                )
            }
        )


def _payload(
    case_type: CaseType,
    content_days: int,
    token_days: int,
    change: PolicyChange | None = None,
    *,
    was: RetentionPolicy | None,
) -> dict[str, str | int | bool | None]:
    # The periods before and after (``was``: the policy in force then, none for a first).
    return {
        "case_type": case_type.slug,
        "content_days": content_days,
        "token_days": token_days,
        "was_content_days": was.content_days if was else None,
        "was_token_days": was.token_days if was else None,
        "change": change.pk if change else None,
    }


def _in_force(case_type: CaseType) -> RetentionPolicy | None:
    return RetentionPolicy.objects.select_for_update().filter(case_type=case_type).first()


def _apply(case_type: CaseType, content_days: int, token_days: int) -> RetentionPolicy:
    policy, _ = RetentionPolicy.objects.update_or_create(
        case_type=case_type,
        defaults={
            "content_days": content_days,
            "token_days": token_days,
            "changed_at": timezone.now(),
        },
    )
    return policy


def policy_seed(
    *, case_type: CaseType, content_days: int, token_days: int | None = None
) -> RetentionPolicy:
    """Set a policy outside the two-person flow: the operator's set-up, demo data and tests
    (the retention page goes through ``policy_propose``). Audited with no actor."""
    token_days = content_days if token_days is None else token_days
    _check_periods(content_days, token_days, case_type)
    with transaction.atomic():
        was = _in_force(case_type)
        payload = _payload(case_type, content_days, token_days, was=was)
        policy = _apply(case_type, content_days, token_days)
        staff_event_record(code="retention.policy_changed", actor=None, payload=payload)
    return policy


def policy_propose(
    *, actor: User, case_type: CaseType, content_days: int, token_days: int
) -> RetentionPolicy | PolicyChange:
    """Change a case type's retention. Lengthening both periods takes effect at once;
    shortening either, or setting a first policy (from "kept for ever"), waits for a second
    administrator (``policy_change_confirm``). Returns the policy or the pending change.
    Raises ``RetentionRefused`` for someone who is not an administrator, a period of zero or
    less, a token period longer than the content's, or a change that changes nothing."""
    if not may_manage_retention(actor):
        raise RetentionRefused("Only an administrator can change retention.")
    _check_periods(content_days, token_days, case_type)
    with transaction.atomic():
        current = _in_force(case_type)
        if (
            current is not None
            and current.content_days == content_days
            and current.token_days == token_days
        ):
            raise RetentionRefused("That is the policy already.")
        if (
            current is not None
            and content_days >= current.content_days
            and token_days >= current.token_days
        ):
            payload = _payload(case_type, content_days, token_days, was=current)
            policy = _apply(case_type, content_days, token_days)
            staff_event_record(code="retention.policy_changed", actor=actor, payload=payload)
            return policy
        change = PolicyChange.objects.create(
            case_type=case_type,
            content_days=content_days,
            token_days=token_days,
            proposed_by=actor,
            proposed_at=timezone.now(),
        )
        staff_event_record(
            code="retention.policy_proposed",
            actor=actor,
            payload=_payload(case_type, content_days, token_days, change, was=current),
        )
    return change


def _pending(change: PolicyChange) -> PolicyChange:
    locked = PolicyChange.objects.select_for_update().select_related("case_type").get(pk=change.pk)
    if locked.status != ChangeStatus.PENDING:
        raise RetentionRefused("That proposal has already been decided.")
    return locked


def policy_change_confirm(*, change: PolicyChange, actor: User) -> RetentionPolicy:
    """A second administrator confirms a shortening: the policy changes now. Audited."""
    if not may_manage_retention(actor):
        raise RetentionRefused("Only an administrator can confirm a change of retention.")
    with transaction.atomic():
        change = _pending(change)
        if not may_confirm_retention_change(actor, proposed_by_id=change.proposed_by_id):
            raise RetentionRefused("A second administrator must confirm this change.")
        _check_periods(change.content_days, change.token_days, change.case_type)
        payload = _payload(
            change.case_type,
            change.content_days,
            change.token_days,
            change,
            was=_in_force(change.case_type),
        )
        policy = _apply(change.case_type, change.content_days, change.token_days)
        change.status = ChangeStatus.CONFIRMED
        change.confirmed_by = change.closed_by = actor
        change.closed_at = timezone.now()
        change.save(update_fields=["status", "confirmed_by", "closed_by", "closed_at"])
        staff_event_record(code="retention.policy_confirmed", actor=actor, payload=payload)
    return policy


def policy_change_close(*, change: PolicyChange, actor: User) -> PolicyChange:
    """Withdraw one's own proposal, or decline another administrator's. Audited."""
    if not may_manage_retention(actor):
        raise RetentionRefused("Only an administrator can decide on a change of retention.")
    with transaction.atomic():
        change = _pending(change)
        own = change.proposed_by_id == actor.pk
        change.status = ChangeStatus.WITHDRAWN if own else ChangeStatus.DECLINED
        change.closed_by = actor
        change.closed_at = timezone.now()
        change.save(update_fields=["status", "closed_by", "closed_at"])
        staff_event_record(
            code="retention.policy_withdrawn" if own else "retention.policy_declined",
            actor=actor,
            payload={"change": change.pk},
        )
    return change


# --- Legal holds ----------------------------------------------------------------------------


def _check_review(review_on: dt.date) -> None:
    today = timezone.localdate()
    if review_on <= today:
        raise RetentionRefused("The review date must be in the future.")
    if review_on > today + dt.timedelta(days=5 * 366):
        raise RetentionRefused("Review a hold at least every five years.")


def _seal_reason(hold: LegalHold, reason: str) -> bytes:
    text = reason.strip()
    if not text:
        raise RetentionRefused("Give the reason for the hold.")
    if len(text) > MAX_REASON_CHARS:
        raise RetentionRefused(f"Keep the reason under {MAX_REASON_CHARS} characters.")
    return case_cipher(hold.case_id).seal(
        text.encode(), model_label="retention.legalhold", field="reason", row_id=hold.pk
    )


def hold_place(*, actor: User, reference: str, reason: str, review_on: dt.date) -> LegalHold:
    """Place a legal hold on the case with ``reference``: it is not purged while the hold
    lasts. The reason is sealed with the case's key. Governance leads only
    (``may_hold_cases``); an unknown reference is ``CaseNotFound``. Locks the case row, so a
    purge running at the same moment either finishes first or sees the hold."""
    if not may_hold_cases(actor):
        raise RetentionRefused("Only a governance lead can place a legal hold.")
    _check_review(review_on)
    case = case_for_legal_hold(actor, reference)
    with transaction.atomic():
        case = case_rows_for_system().select_for_update().get(pk=case.pk)
        if hasattr(case, "deletion_record"):
            raise RetentionRefused("That case's content has already been deleted.")
        hold = LegalHold(
            case=case, reason=b"", review_on=review_on, placed_by=actor, placed_at=timezone.now()
        )
        hold.save(force_insert=True)
        hold.reason = _seal_reason(hold, reason)
        hold.save(update_fields=["reason"])
        event_record(
            case=case,
            code="retention.hold_placed",
            actor=actor,
            payload={"hold": hold.pk, "review_on": review_on.isoformat()},
        )
    return hold


def _active_hold(hold: LegalHold) -> LegalHold:
    locked = LegalHold.objects.select_for_update().select_related("case").get(pk=hold.pk)
    if locked.lifted_at is not None:
        raise RetentionRefused("That hold has already been lifted.")
    return locked


def hold_review(*, actor: User, hold: LegalHold, review_on: dt.date) -> LegalHold:
    """Record that a hold was reviewed and still stands, with its next review day."""
    if not may_hold_cases(actor):
        raise RetentionRefused("Only a governance lead can review a legal hold.")
    _check_review(review_on)
    with transaction.atomic():
        hold = _active_hold(hold)
        hold.review_on = review_on
        hold.reviewed_at = timezone.now()
        hold.save(update_fields=["review_on", "reviewed_at"])
        event_record(
            case=hold.case,
            code="retention.hold_reviewed",
            actor=actor,
            payload={"hold": hold.pk, "review_on": review_on.isoformat()},
        )
    return hold


def hold_lift(*, actor: User, hold: LegalHold) -> LegalHold:
    """Lift a hold: the case is purged on the next run if its date has passed."""
    if not may_hold_cases(actor):
        raise RetentionRefused("Only a governance lead can lift a legal hold.")
    with transaction.atomic():
        hold = _active_hold(hold)
        hold.lifted_by = actor
        hold.lifted_at = timezone.now()
        hold.save(update_fields=["lifted_by", "lifted_at"])
        event_record(
            case=hold.case, code="retention.hold_lifted", actor=actor, payload={"hold": hold.pk}
        )
    return hold


def hold_reason(hold: LegalHold) -> str:
    """The hold's reason in clear, for the governance lead's holds page."""
    return (
        case_cipher(hold.case_id)
        .open(bytes(hold.reason), model_label="retention.legalhold", field="reason", row_id=hold.pk)
        .decode()
    )


def holds_review_remind(today: dt.date | None = None) -> int:
    """Tell the governance leads, once per hold and review day, of each active legal hold
    past its review day: "a legal hold is due for review", nothing of the case. Claimed by a
    conditional update, so two runs at once tell them once; reviewing a hold sets a new day,
    which is reminded again when it passes. Returns how many holds were reminded."""
    today = today or timezone.localdate()
    reminded = 0
    for hold_id in holds_overdue(today).values_list("pk", flat=True):
        with transaction.atomic():
            claimed = (
                LegalHold.objects.filter(pk=hold_id, lifted_at__isnull=True, review_on__lt=today)
                .exclude(review_reminded_for=F("review_on"))
                .update(review_reminded_for=F("review_on"))
            )
            if claimed:
                notify(people_with_role(Role.GOVERNANCE_LEAD), kinds.HOLD_REVIEW_DUE)
                reminded += 1
    return reminded
