"""Writes to who may work a case: assignment, revocation and conflict-of-interest exclusions.

The only module that creates or deletes per-case grants and exclusions. Every change is
audited in the same transaction, and takes effect on the very next request (the gate reads
the tables on every request; nothing is cached).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from cases.audit import event_record
from cases.exceptions import SpeakUpError
from cases.keys import case_cipher
from cases.models import Case
from permissions.models import (
    CaseExclusion,
    CaseGroupPermission,
    CaseUserPermission,
    ExclusionKind,
)
from permissions.roles import GRANTS, CasePerm, Role, roles_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AssignmentRefused(SpeakUpError):
    message = "That assignment is not possible."


def _permissions(perms: tuple[CasePerm, ...]) -> list[Permission]:
    return list(
        Permission.objects.filter(
            content_type__app_label="cases", content_type__model="case", codename__in=perms
        )
    )


def _is_excluded(case: Case, user: User) -> bool:
    return CaseExclusion.objects.filter(case=case, user=user).exists()


def case_assign(
    *, case: Case, assignee: User, actor: User, expires_on: dt.date | None = None
) -> None:
    """Grant ``assignee`` the rights their role carries on ``case``.

    The caller has obtained ``case`` through ``access.case_for_triage`` for ``actor``.
    Refused (``AssignmentRefused``, audited) when the actor assigns themselves, the assignee is
    excluded from the case, holds no assignable role, or is an external investigator without
    an end date (or with one in the past).
    """
    roles = roles_of(assignee)
    role = Role.HANDLER if Role.HANDLER in roles else None
    if role is None and Role.EXTERNAL_INVESTIGATOR in roles:
        role = Role.EXTERNAL_INVESTIGATOR
    reason = None
    if assignee.pk == actor.pk:
        reason = "self", "You cannot assign a case to yourself."
    elif not assignee.is_active:
        reason = "inactive", "That person's account is disabled."
    elif _is_excluded(case, assignee):
        reason = "excluded", "That person is excluded from this case (conflict of interest)."
    elif role is None:
        reason = "role", "Only handlers and external investigators can be assigned cases."
    elif role == Role.EXTERNAL_INVESTIGATOR and (
        expires_on is None or expires_on < timezone.localdate()
    ):
        reason = "expiry", "An external investigator's access needs an end date in the future."
    if reason is not None:
        event_record(
            case=case, code="case.assignment_refused", actor=actor, payload={"reason": reason[0]}
        )
        raise AssignmentRefused(reason[1])
    if role is None:  # pragma: no cover  (refused above; narrows the type)
        raise AssignmentRefused()
    with transaction.atomic():
        for permission in _permissions(GRANTS[role]):
            CaseUserPermission.objects.update_or_create(
                content_object=case,
                user=assignee,
                permission=permission,
                defaults={"expires_on": expires_on if role == Role.EXTERNAL_INVESTIGATOR else None},
            )
        event_record(
            case=case,
            code="case.assigned",
            actor=actor,
            payload={"assignee": assignee.pk, "role": role.name.lower()},
        )


def case_assign_team(*, case: Case, team: Group, actor: User) -> None:
    """Grant a whole team handler rights on ``case``; excluded members still see nothing."""
    with transaction.atomic():
        for permission in _permissions(GRANTS[Role.HANDLER]):
            CaseGroupPermission.objects.get_or_create(
                content_object=case, group=team, permission=permission
            )
        event_record(case=case, code="case.team_assigned", actor=actor, payload={"team": team.pk})


def case_unassign(
    *, case: Case, user: User | None = None, team: Group | None = None, actor: User
) -> int:
    """Revoke every grant ``user`` (or ``team``) holds on ``case``; returns rows removed."""
    with transaction.atomic():
        if user is not None:
            removed, _ = CaseUserPermission.objects.filter(content_object=case, user=user).delete()
            payload: dict[str, str | int | bool | None] = {"assignee": user.pk}
        elif team is not None:
            removed, _ = CaseGroupPermission.objects.filter(
                content_object=case, group=team
            ).delete()
            payload = {"team": team.pk}
        else:
            raise ValueError("Name a user or a team to unassign.")
        event_record(case=case, code="case.unassigned", actor=actor, payload=payload)
    return removed


def exclusion_add(
    *, case: Case, user: User, kind: ExclusionKind, actor: User, reason: str = ""
) -> CaseExclusion:
    """Exclude ``user`` from ``case``: their grants go, and no role or team lets them back.

    Effective at once. A subject or reporter-named exclusion is proposed by the triage lead
    and later confirmed by a second person (``exclusion_confirm``); a recusal is the user's
    own, with a reason (sealed with the case's key).
    """
    with transaction.atomic():
        exclusion, created = CaseExclusion.objects.get_or_create(
            case=case,
            user=user,
            defaults={"kind": kind, "proposed_by": actor, "created_at": timezone.now()},
        )
        if created and reason.strip():
            exclusion.reason = case_cipher(case.pk).seal(
                reason.strip()[:2000].encode(),
                model_label="permissions.caseexclusion",
                field="reason",
                row_id=exclusion.pk,
            )
            exclusion.save(update_fields=["reason"])
        CaseUserPermission.objects.filter(content_object=case, user=user).delete()
        if created:
            event_record(
                case=case,
                code="case.recused" if kind == ExclusionKind.RECUSAL else "case.exclusion_added",
                actor=actor,
                payload={"user": user.pk, "kind": kind.value},
            )
    return exclusion


def exclusion_confirm(*, exclusion: CaseExclusion, actor: User) -> CaseExclusion:
    """Confirm a proposed exclusion; the confirmer must not be the proposer."""
    if exclusion.proposed_by_id == actor.pk:
        raise AssignmentRefused("A second person must confirm this exclusion.")
    with transaction.atomic():
        exclusion = CaseExclusion.objects.select_for_update().get(pk=exclusion.pk)
        if exclusion.confirmed_by_id is None:
            exclusion.confirmed_by = actor
            exclusion.save(update_fields=["confirmed_by"])
            event_record(
                case=exclusion.case,
                code="case.exclusion_confirmed",
                actor=actor,
                payload={"user": exclusion.user_id},
            )
    return exclusion


def case_recuse(*, case: Case, actor: User, reason: str) -> CaseExclusion:
    """The actor steps aside from a case they can see, giving a reason."""
    if not reason.strip():
        raise AssignmentRefused("Give a reason for stepping aside.")
    return exclusion_add(
        case=case, user=actor, kind=ExclusionKind.RECUSAL, actor=actor, reason=reason
    )
