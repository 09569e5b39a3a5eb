"""Roles, teams, triage teams, account reactivation and second-factor resets change only when
a second administrator confirms; nobody confirms their own proposal or their own access; every
step is a staff event."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from cases.exceptions import AuditRecordImmutable, CaseNotFound
from permissions.access import case_for_user, case_queryset_for_user
from permissions.models import AccessChange, ChangeKind, ChangeStatus, StaffEvent
from permissions.roles import Role, roles_of
from permissions.services import (
    AccessChangeRefused,
    access_change_close,
    access_change_confirm,
    access_change_propose,
    team_create,
)
from tests.builders import make_case
from tests.conftest import TOTP_SECRET


def _codes():
    return list(StaffEvent.objects.order_by("id").values_list("code", flat=True))


def test_a_role_is_given_only_when_a_second_administrator_confirms(cast, second_administrator):
    person = cast.governance_lead
    change = access_change_propose(
        actor=cast.administrator, kind=ChangeKind.ROLE_GRANT, user=person, role=Role.HANDLER
    )
    assert Role.HANDLER not in roles_of(person)
    access_change_confirm(change=change, actor=second_administrator)
    assert roles_of(person) == {Role.GOVERNANCE_LEAD, Role.HANDLER}
    change.refresh_from_db()
    assert (change.status, change.confirmed_by) == (ChangeStatus.CONFIRMED, second_administrator)
    assert _codes() == ["access.proposed", "role.granted", "access.confirmed"]
    granted = StaffEvent.objects.get(code="role.granted")
    assert (granted.actor, granted.user, granted.change) == (second_administrator, person, change)


# Who may confirm what, written out by hand: (kind, proposer, confirmer, subject, reason).
REFUSED = [
    ("role_grant", "administrator", "administrator", "governance_lead", "own_proposal"),
    ("role_grant", "administrator", "second_administrator", "second_administrator", "own_access"),
    ("role_grant", "administrator", "triage_lead", "governance_lead", "not_administrator"),
    ("role_grant", "administrator", "superuser", "governance_lead", "not_administrator"),
    ("team_join", "administrator", "second_administrator", "second_administrator", "own_access"),
    ("second_factor_reset", "administrator", "administrator", "assigned_handler", "own_proposal"),
]


@pytest.mark.parametrize(("kind", "proposer", "confirmer", "subject", "reason"), REFUSED)
def test_refused_confirmations_change_nothing_and_are_recorded(
    cast, second_administrator, kind, proposer, confirmer, subject, reason
):
    people = {**vars(cast), "second_administrator": second_administrator}
    person = people[subject]
    TOTP.activate(person, TOTP_SECRET)
    groups_before = set(person.groups.values_list("pk", flat=True))
    change = access_change_propose(
        actor=people[proposer],
        kind=ChangeKind(kind),
        user=person,
        role=Role.HANDLER,
        team=cast.team,
    )
    with pytest.raises(AccessChangeRefused):
        access_change_confirm(change=change, actor=people[confirmer])
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING and change.confirmed_by is None
    assert set(person.groups.values_list("pk", flat=True)) == groups_before
    assert Authenticator.objects.filter(user=person).exists()
    refusal = StaffEvent.objects.get(code="access.refused")
    assert (refusal.actor, refusal.payload["reason"]) == (people[confirmer], reason)


def test_the_database_refuses_a_confirmation_by_the_proposer_or_the_subject(cast):
    for confirmer, subject in ((cast.administrator, cast.governance_lead), (cast.triage_lead,) * 2):
        change = AccessChange(
            kind=ChangeKind.ROLE_GRANT,
            role=Role.HANDLER.value,
            user=subject,
            proposed_by=cast.administrator,
            proposed_at=timezone.now(),
            status=ChangeStatus.CONFIRMED,
            confirmed_by=confirmer,
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            change.save()


def test_only_administrators_propose(cast):
    for who in ("triage_lead", "assigned_handler", "governance_lead", "superuser"):
        with pytest.raises(AccessChangeRefused, match="Only an administrator"):
            access_change_propose(
                actor=getattr(cast, who),
                kind=ChangeKind.ROLE_GRANT,
                user=getattr(cast, who),
                role=Role.HANDLER,
            )
    assert not AccessChange.objects.exists()


@pytest.mark.parametrize(
    ("kind", "subject", "role", "message"),
    [
        ("role_grant", "assigned_handler", Role.HANDLER, "already have that role"),
        ("role_remove", "governance_lead", Role.HANDLER, "do not have that role"),
        ("team_leave", "assigned_handler", None, "not in that team"),
        ("team_join", "team_handler", None, "already in that team"),
        ("account_reactivate", "assigned_handler", None, "not disabled"),
        ("second_factor_reset", "assigned_handler", None, "no second factor"),
    ],
)
def test_proposals_that_make_no_sense_are_refused(cast, kind, subject, role, message):
    with pytest.raises(AccessChangeRefused, match=message):
        access_change_propose(
            actor=cast.administrator,
            kind=ChangeKind(kind),
            user=getattr(cast, subject),
            role=role,
            team=cast.team,
        )


def test_a_team_change_needs_a_team_not_a_role(cast):
    role_group = Group.objects.get(name=Role.HANDLER.value)
    with pytest.raises(AccessChangeRefused, match="Choose a team"):
        access_change_propose(
            actor=cast.administrator,
            kind=ChangeKind.TEAM_JOIN,
            user=cast.governance_lead,
            team=role_group,
        )


def test_the_same_change_cannot_wait_twice(cast):
    kwargs = {"kind": ChangeKind.ROLE_GRANT, "user": cast.governance_lead, "role": Role.HANDLER}
    access_change_propose(actor=cast.administrator, **kwargs)
    with pytest.raises(AccessChangeRefused, match="already waiting"):
        access_change_propose(actor=cast.administrator, **kwargs)


def test_joining_a_team_with_a_case_grant_opens_the_case_only_after_confirmation(
    cast, second_administrator
):
    person = cast.unassigned_handler
    change = access_change_propose(
        actor=cast.administrator, kind=ChangeKind.TEAM_JOIN, user=person, team=cast.team
    )
    assert not case_queryset_for_user(person).filter(pk=cast.case.pk).exists()
    access_change_confirm(change=change, actor=second_administrator)
    assert case_for_user(person, cast.case.pk, audit=False) == cast.case
    leave = access_change_propose(
        actor=second_administrator, kind=ChangeKind.TEAM_LEAVE, user=person, team=cast.team
    )
    access_change_confirm(change=leave, actor=cast.administrator)
    with pytest.raises(CaseNotFound):
        case_for_user(person, cast.case.pk)


def test_repointing_a_triage_team_takes_two_and_not_a_member_of_the_new_team(
    cast, second_administrator
):
    admins_team = team_create(actor=cast.administrator, name="Admins' own team")
    admins_team.user_set.add(cast.administrator, second_administrator)
    change = access_change_propose(
        actor=cast.administrator,
        kind=ChangeKind.TRIAGE_TEAM_SET,
        case_type=cast.case_type,
        team=admins_team,
    )
    with pytest.raises(AccessChangeRefused, match="outside that team"):
        access_change_confirm(change=change, actor=second_administrator)
    cast.case_type.refresh_from_db()
    assert cast.case_type.triage_team.name == "Whistleblowing triage"
    assert not case_queryset_for_user(cast.administrator).exists()
    # Confirmed by an administrator outside the team, it takes effect.
    third = type(second_administrator).objects.create_user(username="admin-three")
    third.groups.add(Group.objects.get(name=Role.ADMINISTRATOR.value))
    access_change_confirm(change=change, actor=third)
    cast.case_type.refresh_from_db()
    assert cast.case_type.triage_team == admins_team
    assert case_queryset_for_user(cast.administrator).filter(pk=cast.case.pk).exists()
    event = StaffEvent.objects.get(code="triage_team.changed")
    assert event.payload == {"case_type": cast.case_type.slug, "team": admins_team.pk}


def test_the_administrator_role_itself_takes_two(cast, second_administrator):
    change = access_change_propose(
        actor=cast.administrator,
        kind=ChangeKind.ROLE_GRANT,
        user=cast.governance_lead,
        role=Role.ADMINISTRATOR,
    )
    cast.governance_lead.refresh_from_db()
    assert not cast.governance_lead.is_staff
    access_change_confirm(change=change, actor=second_administrator)
    cast.governance_lead.refresh_from_db()
    assert cast.governance_lead.is_staff and Role.ADMINISTRATOR in roles_of(cast.governance_lead)
    remove = access_change_propose(
        actor=second_administrator,
        kind=ChangeKind.ROLE_REMOVE,
        user=cast.governance_lead,
        role=Role.ADMINISTRATOR,
    )
    access_change_confirm(change=remove, actor=cast.administrator)
    cast.governance_lead.refresh_from_db()
    assert not cast.governance_lead.is_staff
    assert Role.ADMINISTRATOR not in roles_of(cast.governance_lead)


def test_a_second_factor_reset_takes_two_and_removes_every_authenticator(
    cast, second_administrator
):
    person = cast.assigned_handler
    TOTP.activate(person, TOTP_SECRET)
    change = access_change_propose(
        actor=cast.administrator, kind=ChangeKind.SECOND_FACTOR_RESET, user=person
    )
    assert Authenticator.objects.filter(user=person).exists()
    access_change_confirm(change=change, actor=second_administrator)
    assert not Authenticator.objects.filter(user=person).exists()
    assert "mfa.reset" in _codes()


def test_switching_an_account_back_on_takes_two(cast, second_administrator):
    person = cast.assigned_handler
    person.is_active = False
    person.save(update_fields=["is_active"])
    change = access_change_propose(
        actor=cast.administrator, kind=ChangeKind.ACCOUNT_REACTIVATE, user=person
    )
    person.refresh_from_db()
    assert not person.is_active
    access_change_confirm(change=change, actor=second_administrator)
    person.refresh_from_db()
    assert person.is_active


def test_a_proposal_is_withdrawn_by_its_proposer_or_declined_by_another(cast, second_administrator):
    def propose():
        return access_change_propose(
            actor=cast.administrator,
            kind=ChangeKind.ROLE_GRANT,
            user=cast.governance_lead,
            role=Role.HANDLER,
        )

    withdrawn = access_change_close(change=propose(), actor=cast.administrator)
    declined = access_change_close(change=propose(), actor=second_administrator)
    assert (withdrawn.status, declined.status) == (ChangeStatus.WITHDRAWN, ChangeStatus.DECLINED)
    with pytest.raises(AccessChangeRefused, match="already been decided"):
        access_change_confirm(change=declined, actor=second_administrator)
    with pytest.raises(AccessChangeRefused):
        access_change_close(change=propose(), actor=cast.triage_lead)
    assert Role.HANDLER not in roles_of(cast.governance_lead)
    assert _codes().count("access.withdrawn") == _codes().count("access.declined") == 1


def test_a_change_that_no_longer_makes_sense_is_not_made(cast, second_administrator):
    change = access_change_propose(
        actor=cast.administrator,
        kind=ChangeKind.ROLE_GRANT,
        user=cast.governance_lead,
        role=Role.HANDLER,
    )
    cast.governance_lead.is_active = False
    cast.governance_lead.save(update_fields=["is_active"])
    with pytest.raises(AccessChangeRefused, match="disabled"):
        access_change_confirm(change=change, actor=second_administrator)
    assert Role.HANDLER not in roles_of(cast.governance_lead)


def test_team_names_never_take_a_role_name(cast):
    for name in ("Handler", "handler", "Whistleblowing triage", "  "):
        with pytest.raises(AccessChangeRefused):
            team_create(actor=cast.administrator, name=name)
    with pytest.raises(AccessChangeRefused):
        team_create(actor=cast.triage_lead, name="A new team")
    team = team_create(actor=cast.administrator, name="  Bullying   triage ")
    assert team.name == "Bullying triage" and team.user_set.count() == 0


def test_staff_events_are_append_only(cast):
    team_create(actor=cast.administrator, name="Anything")
    event = StaffEvent.objects.get()
    with pytest.raises(AuditRecordImmutable):
        event.save()
    with pytest.raises(AuditRecordImmutable):
        event.delete()
    with pytest.raises(AuditRecordImmutable):
        StaffEvent.objects.update(code="x")
    # The database refuses too: a trigger, and on PostgreSQL the application's role may not
    # even try (it may only add and read staff events).
    with (
        pytest.raises((IntegrityError, ProgrammingError), match=r"append-only|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE permissions_staffevent SET code = 'x'")


def test_staff_event_payloads_hold_identifiers_only(cast):
    from permissions.audit import staff_event_record

    with pytest.raises(ValueError, match="short identifier"):
        staff_event_record(
            code="account.changed", actor=None, payload={"fields": "Dear diary, today I..."}
        )
    with pytest.raises(ValueError, match="no payload key"):
        staff_event_record(code="account.changed", actor=None, payload={"address": "x"})


def test_a_new_case_type_triage_team_reaches_its_new_cases(cast, second_administrator):
    # The change reaches the gate on the very next request: nothing is cached.
    new_case = make_case(case_type=cast.case_type)
    lead = cast.other_triage_lead
    assert not case_queryset_for_user(lead).filter(pk=new_case.pk).exists()
    other_team = lead.groups.exclude(name__in=[r.value for r in Role]).get()
    change = access_change_propose(
        actor=cast.administrator,
        kind=ChangeKind.TRIAGE_TEAM_SET,
        case_type=cast.case_type,
        team=other_team,
    )
    access_change_confirm(change=change, actor=second_administrator)
    assert case_queryset_for_user(lead).filter(pk=new_case.pk).exists()
    assert not case_queryset_for_user(cast.triage_lead).filter(pk=new_case.pk).exists()


@pytest.mark.skipif(
    "connection.vendor != 'sqlite'",
    reason="on SQLite the triggers can be lifted inside the test's own transaction; owner "
    "tampering on PostgreSQL is tests/cases/test_audit_tampering.py's, for the same check",
)
def test_staff_events_form_a_chain_the_audit_check_verifies(cast, second_administrator):
    """Role and team changes are tamper-evident like case events: changing, removing or
    inserting a staff event behind the application's back (as the tables' owner, with the
    triggers lifted) is named by the audit check."""
    from cases.audit import audit_verify
    from cases.dbroles import audit_guards_lifted

    team_create(actor=cast.administrator, name="First")
    team_create(actor=cast.administrator, name="Second")
    team_create(actor=cast.administrator, name="Third")
    assert list(StaffEvent.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3]
    assert audit_verify().problems == []
    middle = StaffEvent.objects.get(seq=2)

    with audit_guards_lifted(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE permissions_staffevent SET code = 'x' WHERE id = %s", [middle.pk])
    changed = audit_verify()
    assert [str(p) for p in changed.problems] == [
        "staff link 2: does not match its contents or place"
    ]

    with audit_guards_lifted(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM permissions_staffevent WHERE id = %s", [middle.pk])
    removed = audit_verify()
    assert "staff link 3: found where link 2 belongs" in [str(p) for p in removed.problems]
