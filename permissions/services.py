"""Writes to who may work a case: assignment, revocation, conflict-of-interest exclusions,
and who holds which role or team (the two-person rule), with staff accounts.

The only module that creates or deletes per-case grants and exclusions, and the only one that
changes role or team membership (``role_grant``, ``role_remove``, ``team_join``,
``team_leave``, reached only through a confirmed ``AccessChange``). Every change is audited in
the same transaction, and takes effect on the very next request (the gate reads the tables on
every request; nothing is cached).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.utils import timezone

from cases.audit import Event, event_record, events_record
from cases.exceptions import SpeakUpError
from cases.keys import case_cipher
from cases.models import Case, CaseType
from cases.selectors import reporter_identity_of
from cases.services import InvalidReport, identity_reveal
from permissions.access import case_for_confidential_contact
from permissions.audit import staff_event_record
from permissions.models import (
    AccessChange,
    CaseExclusion,
    CaseGroupPermission,
    CaseUserPermission,
    ChangeKind,
    ChangeStatus,
    ExclusionKind,
)
from permissions.predicates import (
    access_change_refusal,
    case_being_worked,
    may_assign,
    may_confirm_exclusion,
    may_hear_appeal,
    may_reveal_identity,
)
from permissions.roles import (
    ADMINISTRATOR_MODEL_PERMISSIONS,
    APPEAL_ACCESS_DAYS,
    GRANTS,
    ROLE_NAMES,
    CasePerm,
    Role,
    may_manage_access,
    roles_of,
)

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


def _case_share(
    *,
    case: Case,
    perms: tuple[CasePerm, ...],
    user: User | None = None,
    team: Group | None = None,
    expires_on: dt.date | None = None,
) -> None:
    """The one place where a case is shared with a person or a team (every assignment comes
    through here, inside its caller's transaction). Work that must follow each sharing of a
    case, such as sealing the case key to the assignee's own key, belongs here."""
    for permission in _permissions(perms):
        if user is not None:
            CaseUserPermission.objects.update_or_create(
                content_object=case,
                user=user,
                permission=permission,
                defaults={"expires_on": expires_on},
            )
        elif team is not None:
            CaseGroupPermission.objects.get_or_create(
                content_object=case, group=team, permission=permission
            )


def case_assign(
    *,
    case: Case,
    assignee: User,
    actor: User,
    expires_on: dt.date | None = None,
    for_appeal: bool = False,
) -> None:
    """Grant ``assignee`` the rights their role carries on ``case``; with ``for_appeal``, the
    rights of an appeal decision-maker for this case's appeal (``GRANTS``: see it and decide
    the appeal, nothing else), whatever other role they hold.

    Refused (``AssignmentRefused``, audited) when the actor may not assign on this case
    (``predicates.may_assign``: the case type's triage team, not excluded), assigns
    themselves, the assignee is excluded from the case, holds no assignable role, or is an
    external investigator without an end date (or with one in the past); for an appeal, when
    the assignee is not an appeal decision-maker, took part in the case
    (``predicates.may_hear_appeal``), or has no end date within ``APPEAL_ACCESS_DAYS``. That
    the case is at its appeal is the workflow's to say: ``workflows.services.
    case_appoint_decider`` checks it, under the case's lock, and calls this.
    """
    _refuse_unless_triage(case, actor)
    roles = roles_of(assignee)
    role = Role.HANDLER if Role.HANDLER in roles else None
    if role is None and Role.EXTERNAL_INVESTIGATOR in roles:
        role = Role.EXTERNAL_INVESTIGATOR
    if for_appeal:
        role = Role.APPEAL_DECISION_MAKER if Role.APPEAL_DECISION_MAKER in roles else None
    today = timezone.localdate()
    reason = None
    if assignee.pk == actor.pk:
        reason = "self", "You cannot assign a case to yourself."
    elif not assignee.is_active:
        reason = "inactive", "That person's account is disabled."
    elif _is_excluded(case, assignee):
        reason = "excluded", "That person is excluded from this case (conflict of interest)."
    elif role is None and for_appeal:
        reason = "role", "Only appeal decision-makers can be given an appeal to decide."
    elif role is None:
        reason = "role", "Only handlers and external investigators can be assigned cases."
    elif role == Role.EXTERNAL_INVESTIGATOR and (expires_on is None or expires_on < today):
        reason = "expiry", "An external investigator's access needs an end date in the future."
    elif for_appeal and not may_hear_appeal(assignee, case):
        reason = (
            "took_part",
            "That person has taken part in this case, so cannot decide its appeal.",
        )
    elif for_appeal and (
        expires_on is None
        or not today <= expires_on <= today + dt.timedelta(days=APPEAL_ACCESS_DAYS)
    ):
        reason = (
            "expiry",
            f"A decision-maker's access needs an end date from today to {APPEAL_ACCESS_DAYS} "
            "days ahead.",
        )
    if reason is not None:
        event_record(
            case=case, code="case.assignment_refused", actor=actor, payload={"reason": reason[0]}
        )
        raise AssignmentRefused(reason[1])
    if role is None:  # pragma: no cover  (refused above; narrows the type)
        raise AssignmentRefused()
    ends = role in (Role.EXTERNAL_INVESTIGATOR, Role.APPEAL_DECISION_MAKER)
    payload: dict[str, str | int | bool | None] = {
        "assignee": assignee.pk,
        "role": role.name.lower(),
    }
    if for_appeal and expires_on is not None:
        payload["until"] = expires_on.isoformat()
    with transaction.atomic():
        _case_share(
            case=case,
            user=assignee,
            perms=GRANTS[role],
            expires_on=expires_on if ends else None,
        )
        event_record(case=case, code="case.assigned", actor=actor, payload=payload)


def case_appeal_access_end(*, case: Case) -> list[int]:
    """End every appeal decision-maker's access to ``case`` (their grants on it go): called
    when the case leaves its appeal, decided or otherwise, inside that step's transaction.
    One ``case.appeal_access_ended`` event per person; returns their ids. Their grant would
    also end on its date; this ends it when the appeal does."""
    holders = list(
        CaseUserPermission.objects.filter(
            content_object=case, permission__codename=CasePerm.DECIDE_APPEAL
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    if not holders:
        return []
    with transaction.atomic():
        CaseUserPermission.objects.filter(content_object=case, user_id__in=holders).delete()
        events_record(
            case=case,
            events=[
                Event(code="case.appeal_access_ended", actor=None, payload={"user": user_id})
                for user_id in holders
            ],
        )
    return holders


def _refuse_unless_triage(case: Case, actor: User) -> None:
    """The services that change who is on a case check the triage rule themselves, whoever
    calls them (a view, a command, a future API)."""
    if not may_assign(actor, case):
        event_record(
            case=case, code="case.assignment_refused", actor=actor, payload={"reason": "triage"}
        )
        raise AssignmentRefused("Only the team that triages this kind of case can do that.")


def case_assign_team(*, case: Case, team: Group, actor: User) -> None:
    """Grant a whole team handler rights on ``case``; excluded members still see nothing.
    Refused (``AssignmentRefused``, audited) unless the actor may assign on the case."""
    _refuse_unless_triage(case, actor)
    with transaction.atomic():
        _case_share(case=case, team=team, perms=GRANTS[Role.HANDLER])
        event_record(case=case, code="case.team_assigned", actor=actor, payload={"team": team.pk})


def case_unassign(
    *, case: Case, user: User | None = None, team: Group | None = None, actor: User
) -> int:
    """Revoke every grant ``user`` (or ``team``) holds on ``case``; returns rows removed.

    Only while the case is new (before its first step): once a case is being worked, the
    people on it stay, so that nobody can quietly take a case away from its handler. A
    handler then leaves a case by stepping aside (``case_recuse``, with a reason) or through
    a conflict-of-interest exclusion, both audited; an investigator's access ends on its date.
    Refused (``AssignmentRefused``, audited) otherwise, and unless the actor may assign on
    the case.
    """
    _refuse_unless_triage(case, actor)
    if case_being_worked(case):
        event_record(
            case=case,
            code="case.assignment_refused",
            actor=actor,
            payload={"reason": "being_worked"},
        )
        raise AssignmentRefused(
            "This case is already being worked, so nobody can be taken off it. A handler "
            "who should not go on steps aside from the case themselves, or is excluded for a "
            "conflict of interest."
        )
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
    own, with a reason (sealed with the case's key). Anything but one's own recusal is refused
    (``AssignmentRefused``, audited) unless the actor may assign on the case.
    """
    if not (kind == ExclusionKind.RECUSAL and user.pk == actor.pk):
        _refuse_unless_triage(case, actor)
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
    """Confirm a proposed exclusion (``predicates.may_confirm_exclusion``): a second person
    who may triage the case. Refused with ``AssignmentRefused``; confirming twice changes
    nothing."""
    with transaction.atomic():
        exclusion = CaseExclusion.objects.select_for_update().get(pk=exclusion.pk)
        if exclusion.confirmed_by_id is not None:
            return exclusion
        if not may_confirm_exclusion(actor, exclusion):
            raise AssignmentRefused(
                "A second person must confirm this exclusion: someone else who triages this "
                "kind of report."
            )
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


# --- Roles, teams and accounts: the two-person rule ---------------------------------------------
#
# Administrators configure the service but never read a case. Whoever holds a role or sits in
# a team may reach case content, so every such change is proposed by one administrator and
# takes effect only when a different administrator confirms it; nobody confirms their own
# proposal or a change to their own access. Each step is a ``StaffEvent``.


class AccessChangeRefused(SpeakUpError):
    message = "That change is not possible."


ROLE_KINDS = (ChangeKind.ROLE_GRANT, ChangeKind.ROLE_REMOVE)
ACCOUNT_KINDS = (ChangeKind.ACCOUNT_REACTIVATE, ChangeKind.SECOND_FACTOR_RESET)


# --- Confidential reporting (docs/decisions/0031-confidential-reporting.md) -----------------


class RevealRefused(SpeakUpError):
    message = "Give the reason for revealing the reporter's identity."


def case_identity_reveal(*, actor: User, case_id: object, reason: str) -> Case:
    """The confidential contact reveals a confidential reporter's identity to those working
    the case, with a reason (``cases.services.identity_reveal``: sealed, audited, the reporter
    told). The case comes through the gate (``case_for_confidential_contact``: anyone else gets
    the recorded not-found), and ``may_reveal_identity`` must say yes (it says no once the
    identity is shared: ``RevealRefused``, with words to show; so does an empty reason)."""
    if not reason.strip():
        raise RevealRefused()
    with transaction.atomic():
        case = case_for_confidential_contact(actor, case_id, action="reveal_identity", audit=False)
        row = reporter_identity_of(case)
        if row is None or not may_reveal_identity(actor, case, shared=row.shared):
            raise RevealRefused("The reporter's identity is already shared.")
        try:
            identity_reveal(case=case, actor=actor, reason=reason)
        except InvalidReport as error:
            raise RevealRefused(error.message) from None
    return case


def _team_or_refuse(team: Group | None) -> Group:
    if team is None or team.name in ROLE_NAMES:
        raise AccessChangeRefused("Choose a team.")
    return team


def _change_problem(change: AccessChange) -> str | None:
    """Why ``change`` cannot be made as things stand now, or ``None`` if it can."""
    user, kind = change.user, change.kind
    if kind == ChangeKind.TRIAGE_TEAM_SET:
        if change.case_type is None:
            return "Choose a case type."
        if change.case_type.triage_team_id == change.team_id:
            return "That team already triages this case type."
        return None
    if user is None:
        return "Choose a person."
    in_role = change.role in {r.value for r in roles_of(user)}
    in_team = change.team_id is not None and user.groups.filter(pk=change.team_id).exists()
    if kind in (ChangeKind.ROLE_GRANT, ChangeKind.TEAM_JOIN) and not user.is_active:
        return "That account is disabled; switch it back on first."
    problems = {
        ChangeKind.ROLE_GRANT: "They already have that role." if in_role else None,
        ChangeKind.ROLE_REMOVE: None if in_role else "They do not have that role.",
        ChangeKind.TEAM_JOIN: "They are already in that team." if in_team else None,
        ChangeKind.TEAM_LEAVE: None if in_team else "They are not in that team.",
        ChangeKind.ACCOUNT_REACTIVATE: "That account is not disabled." if user.is_active else None,
        ChangeKind.SECOND_FACTOR_RESET: None
        if Authenticator.objects.filter(user=user).exists()
        else "They have no second factor to reset.",
    }
    return problems.get(ChangeKind(kind))


def _change_payload(change: AccessChange) -> dict[str, str | int | bool | None]:
    return {"kind": change.kind, "role": change.role or None, "team": change.team_id}


def access_change_propose(
    *,
    actor: User,
    kind: ChangeKind,
    user: User | None = None,
    role: Role | None = None,
    team: Group | None = None,
    case_type: CaseType | None = None,
) -> AccessChange:
    """Propose a change of role, team, triage team, account state or second factor.

    Nothing changes until another administrator confirms it (``access_change_confirm``).
    Raises ``AccessChangeRefused`` when the actor is not an administrator, the change makes
    no sense as things stand, or the same change is already waiting. Audited.
    """
    if not may_manage_access(actor):
        raise AccessChangeRefused("Only an administrator can propose a change of access.")
    if kind in (ChangeKind.ROLE_GRANT, ChangeKind.ROLE_REMOVE) and role is None:
        raise AccessChangeRefused("Choose a role.")
    if kind in (ChangeKind.TEAM_JOIN, ChangeKind.TEAM_LEAVE):
        team = _team_or_refuse(team)
    if kind == ChangeKind.TRIAGE_TEAM_SET and team is not None:
        team = _team_or_refuse(team)
    change = AccessChange(
        kind=kind,
        user=user if kind != ChangeKind.TRIAGE_TEAM_SET else None,
        role=role.value if role is not None and kind in ROLE_KINDS else "",
        team=team if kind not in (*ROLE_KINDS, *ACCOUNT_KINDS) else None,
        case_type=case_type if kind == ChangeKind.TRIAGE_TEAM_SET else None,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    problem = _change_problem(change)
    if problem:
        raise AccessChangeRefused(problem)
    with transaction.atomic():
        waiting = AccessChange.objects.select_for_update().filter(
            status=ChangeStatus.PENDING,
            kind=change.kind,
            user=change.user,
            role=change.role,
            team=change.team,
            case_type=change.case_type,
        )
        if waiting.exists():
            raise AccessChangeRefused("The same change is already waiting for confirmation.")
        change.save(force_insert=True)
        staff_event_record(
            code="access.proposed",
            actor=actor,
            user=change.user,
            change=change,
            payload=_change_payload(change),
        )
    return change


def access_change_confirm(*, change: AccessChange, actor: User) -> AccessChange:
    """Confirm a waiting change and make it, in one transaction with its audit events.

    Refused (``AccessChangeRefused``; the attempt is audited) when the actor proposed it,
    the change is about the actor's own access or a team they are in, the actor is not an
    administrator, it is no longer waiting, or it no longer makes sense.
    """
    problem = access_change_refusal(actor, change)
    if problem is not None:
        staff_event_record(
            code="access.refused",
            actor=actor,
            user=change.user,
            change=change,
            payload={"kind": change.kind, "reason": problem[0]},
        )
        raise AccessChangeRefused(problem[1])
    with transaction.atomic():
        change = AccessChange.objects.select_for_update().get(pk=change.pk)
        if change.status != ChangeStatus.PENDING:
            raise AccessChangeRefused("That proposal has already been decided.")
        stale = _change_problem(change)
        if stale:
            raise AccessChangeRefused(stale)
        _change_make(change, actor=actor)
        change.status = ChangeStatus.CONFIRMED
        change.confirmed_by = change.closed_by = actor
        change.closed_at = timezone.now()
        change.save(update_fields=["status", "confirmed_by", "closed_by", "closed_at"])
        staff_event_record(
            code="access.confirmed",
            actor=actor,
            user=change.user,
            change=change,
            payload=_change_payload(change),
        )
    return change


def access_change_close(*, change: AccessChange, actor: User) -> AccessChange:
    """Withdraw one's own proposal, or decline another administrator's. Audited."""
    if not may_manage_access(actor):
        raise AccessChangeRefused("Only an administrator can decide on a change of access.")
    with transaction.atomic():
        change = AccessChange.objects.select_for_update().get(pk=change.pk)
        if change.status != ChangeStatus.PENDING:
            raise AccessChangeRefused("That proposal has already been decided.")
        own = change.proposed_by_id == actor.pk
        change.status = ChangeStatus.WITHDRAWN if own else ChangeStatus.DECLINED
        change.closed_by = actor
        change.closed_at = timezone.now()
        change.save(update_fields=["status", "closed_by", "closed_at"])
        staff_event_record(
            code="access.withdrawn" if own else "access.declined",
            actor=actor,
            user=change.user,
            change=change,
            payload={"kind": change.kind},
        )
    return change


def _change_make(change: AccessChange, *, actor: User) -> None:
    user = change.user
    if change.kind == ChangeKind.TRIAGE_TEAM_SET:
        assert change.case_type is not None  # noqa: S101  (checked by _change_problem)
        case_type_triage_team_set(
            case_type=change.case_type, team=change.team, actor=actor, change=change
        )
        return
    assert user is not None  # noqa: S101  (checked by _change_problem)
    if change.kind == ChangeKind.ROLE_GRANT:
        role_grant(user=user, role=Role(change.role), actor=actor, change=change)
    elif change.kind == ChangeKind.ROLE_REMOVE:
        role_remove(user=user, role=Role(change.role), actor=actor, change=change)
    elif change.kind in (ChangeKind.TEAM_JOIN, ChangeKind.TEAM_LEAVE):
        assert change.team is not None  # noqa: S101  (checked by the proposal)
        joining = change.kind == ChangeKind.TEAM_JOIN
        (change.team.user_set.add if joining else change.team.user_set.remove)(user)
        staff_event_record(
            code="team.joined" if joining else "team.left",
            actor=actor,
            user=user,
            change=change,
            payload={"team": change.team_id},
        )
    elif change.kind == ChangeKind.ACCOUNT_REACTIVATE:
        user.is_active = True
        user.save(update_fields=["is_active"])
        staff_event_record(code="account.reactivated", actor=actor, user=user, change=change)
    elif change.kind == ChangeKind.SECOND_FACTOR_RESET:
        # Their sessions end at their next request (staff.middleware: no second factor), and
        # they set up a new one the next time they sign in.
        Authenticator.objects.filter(user=user).delete()
        staff_event_record(code="mfa.reset", actor=actor, user=user, change=change)


def role_grant(
    *, user: User, role: Role, actor: User | None, change: AccessChange | None = None
) -> None:
    """The one place a person is given a role (a confirmed change, the operator's first
    administrators, or demo data). Work that must follow every grant of a role belongs
    here. The Administrator role also lets its holder into the administration site."""
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=role.value)
        user.groups.add(group)
        if role == Role.ADMINISTRATOR and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        staff_event_record(
            code="role.granted", actor=actor, user=user, change=change, payload={"role": role.name}
        )


def role_remove(
    *, user: User, role: Role, actor: User | None, change: AccessChange | None = None
) -> None:
    """The one place a role is taken away (only through a confirmed change)."""
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name=role.value))
        if role == Role.ADMINISTRATOR and user.is_staff:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        staff_event_record(
            code="role.removed", actor=actor, user=user, change=change, payload={"role": role.name}
        )


def team_join(*, user: User, team: Group, actor: User | None) -> None:
    """Put someone in a team outside the two-person flow: demo data and tests only (the
    access page goes through ``access_change_propose``)."""
    with transaction.atomic():
        team.user_set.add(user)
        staff_event_record(code="team.joined", actor=actor, user=user, payload={"team": team.pk})


def case_type_triage_team_set(
    *, case_type: CaseType, team: Group | None, actor: User | None, change: AccessChange | None
) -> None:
    """Point a case type at the team that triages its new cases (a confirmed change)."""
    case_type.triage_team = team
    case_type.save(update_fields=["triage_team"])
    staff_event_record(
        code="triage_team.changed",
        actor=actor,
        change=change,
        payload={"case_type": case_type.slug, "team": team.pk if team else None},
    )


def team_create(*, actor: User, name: str) -> Group:
    """A new, empty team (it grants nothing until people join it by the two-person rule)."""
    name = " ".join(name.split())[:150]
    if not may_manage_access(actor):
        raise AccessChangeRefused("Only an administrator can create a team.")
    if not name or name in ROLE_NAMES or Group.objects.filter(name__iexact=name).exists():
        raise AccessChangeRefused("Give the team a name that no team or role has.")
    with transaction.atomic():
        team = Group.objects.create(name=name)
        staff_event_record(code="team.created", actor=actor, payload={"team": team.pk})
    return team


def roles_ensure(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make the role groups, and give the Administrator role exactly the configuration
    permissions it needs (``ADMINISTRATOR_MODEL_PERMISSIONS``): run after every migration,
    on the migrating connection ``using`` (the owner's, before the application's role has
    been granted anything on a new database)."""
    groups = Group.objects.using(using)
    for role in Role:
        groups.get_or_create(name=role.value)
    wanted = Q(pk__in=[])
    for app_label, model, actions in ADMINISTRATOR_MODEL_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    groups.get(name=Role.ADMINISTRATOR.value).permissions.set(
        Permission.objects.using(using).filter(wanted)
    )
    # No other role holds any model-level permission (the gate ignores them anyway).
    for role in Role:
        if role != Role.ADMINISTRATOR:
            groups.get(name=role.value).permissions.clear()


# --- Staff accounts ---------------------------------------------------------------------------


def account_create(
    *, actor: User | None, username: str, email: str, first_name: str = "", last_name: str = ""
) -> User:
    """A staff account with no role, no team and no password: the person sets a password
    from an e-mailed link and a second factor the first time they sign in. Audited."""
    from django.contrib.auth.models import User

    with transaction.atomic():
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save(force_insert=True)
        staff_event_record(code="account.created", actor=actor, user=user)
    return user


# What an administrator may change on an existing account; anything else is a credential or
# an access change.
ACCOUNT_FIELDS = ("first_name", "last_name", "is_active")


def account_update(*, actor: User, user: User, changes: dict[str, object]) -> None:
    """Change an account's names, or disable it. Disabling takes effect at the person's next
    request; switching an account back on restores its roles, so it is a two-person change
    (``ChangeKind.ACCOUNT_REACTIVATE``), refused here. Audited."""
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise AccessChangeRefused("Only names can be changed here, or the account disabled.")
    if changes.get("is_active") is True and not user.is_active:
        raise AccessChangeRefused(
            "Switching an account back on is a change of access: propose it on the access page."
        )
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed:
        return
    with transaction.atomic():
        for name in changed:
            setattr(user, name, changes[name])
        user.save(update_fields=changed)
        if "is_active" in changed:
            staff_event_record(code="account.deactivated", actor=actor, user=user)
        names = [name for name in changed if name != "is_active"]
        if names:
            staff_event_record(
                code="account.changed", actor=actor, user=user, payload={"fields": " ".join(names)}
            )
