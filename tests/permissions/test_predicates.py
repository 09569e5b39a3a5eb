"""Who may do what on a case they reach: each predicate against a table written by hand for
every member of the cast (tests/conftest.py). The tables are the specification; the page and
service tests show the pages and services follow them."""

import pytest
from django.contrib.auth.models import Group, User

from permissions.models import AccessChange, CaseExclusion, ChangeKind, ExclusionKind
from permissions.predicates import (
    access_change_refusal,
    is_confidential_contact,
    may_assign,
    may_change_deadline,
    may_confirm_access_change,
    may_confirm_exclusion,
    may_record_on_behalf,
    may_redact,
    may_reveal_identity,
    may_see_contact,
    may_see_identity,
    may_see_operations,
    may_see_reports,
    may_share,
    may_steer,
    may_unassign,
    may_work,
    may_write_to_reporter,
    sees_redacted_only,
    sees_shared_only,
)
from permissions.roles import Role
from permissions.services import exclusion_add

# who: (work, see contact, redact, change a deadline, redacted report only, triage)
ON_THE_CAST_CASE = {
    "triage_lead": (False, False, False, False, False, True),
    "assigned_handler": (True, True, True, True, False, False),
    "team_handler": (True, True, True, True, False, False),
    "external_investigator": (True, False, False, False, True, False),
    "unassigned_investigator": (False, False, False, False, True, False),
    "unassigned_handler": (False, False, False, False, False, False),
    "conflicted_handler": (False, False, False, False, False, False),
    "governance_lead": (False, False, False, False, False, False),
    "administrator": (False, False, False, False, False, False),
    "superuser": (False, False, False, False, False, False),
    "other_triage_lead": (False, False, False, False, False, False),
}


@pytest.mark.parametrize(("who", "expected"), ON_THE_CAST_CASE.items())
def test_what_each_member_of_the_cast_may_do_on_the_case(cast, who, expected):
    user, case = getattr(cast, who), cast.case
    answers = (
        may_work(user, case),
        may_see_contact(user, case),
        may_redact(user, case),
        may_change_deadline(user, case),
        sees_redacted_only(user),
        may_assign(user, case),
    )
    assert answers == expected


# who: (share with investigators, steer the record, write to the reporter, shared items only)
# (docs/decisions/0024-investigator-sharing.md)
SHARING_ON_THE_CAST_CASE = {
    "triage_lead": (False, False, False, False),
    "assigned_handler": (True, True, True, False),
    "team_handler": (True, True, True, False),
    "external_investigator": (False, False, False, True),
    "unassigned_investigator": (False, False, False, True),
    "unassigned_handler": (False, False, False, False),
    "conflicted_handler": (False, False, False, False),
    "governance_lead": (False, False, False, False),
    "administrator": (False, False, False, False),
    "superuser": (False, False, False, False),
    "other_triage_lead": (False, False, False, False),
}


@pytest.mark.parametrize(("who", "expected"), SHARING_ON_THE_CAST_CASE.items())
def test_who_shares_steers_and_writes_and_who_sees_only_what_is_shared(cast, who, expected):
    user, case = getattr(cast, who), cast.case
    answers = (
        may_share(user, case),
        may_steer(user, case),
        may_write_to_reporter(user, case),
        sees_shared_only(user),
    )
    assert answers == expected


# Linking the cast's case to a second case of its type that the assigned handler and the
# external investigator work too (docs/decisions/0033-linked-cases.md): someone who works both.
# who: (may link the two, whichever is named first)
LINKING = {
    "triage_lead": False,  # sees both while they are new, works neither
    "assigned_handler": True,
    "team_handler": False,  # works the cast's case through the team, not the second
    "external_investigator": False,
    "unassigned_investigator": False,
    "unassigned_handler": False,
    "conflicted_handler": False,
    "governance_lead": False,
    "administrator": False,
    "superuser": False,
    "other_triage_lead": False,
}


def test_who_may_link_two_cases(cast, subtests):
    import datetime as dt

    from django.utils import timezone

    from permissions.predicates import may_link
    from permissions.services import case_assign
    from tests.builders import make_case

    second = make_case(case_type=cast.case_type)
    case_assign(case=second, assignee=cast.assigned_handler, actor=cast.triage_lead)
    case_assign(
        case=second,
        assignee=cast.external_investigator,
        actor=cast.triage_lead,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    for who, expected in LINKING.items():
        with subtests.test(who=who):
            user = getattr(cast, who)
            assert may_link(user, cast.case, second) == expected
            assert may_link(user, second, cast.case) == expected


def test_an_investigator_who_is_also_a_handler_sees_everything_and_may_share(cast):
    both = cast.external_investigator
    both.groups.add(Group.objects.get(name=Role.HANDLER))
    assert not sees_shared_only(both)
    assert may_share(both, cast.case) and may_steer(both, cast.case)


def test_an_investigator_who_is_also_a_handler_reads_the_report_itself(cast):
    both = cast.external_investigator
    both.groups.add(Group.objects.get(name=Role.HANDLER))
    assert not sees_redacted_only(both)


def test_a_disabled_triage_lead_may_not_triage(cast):
    cast.triage_lead.is_active = False
    assert not may_assign(cast.triage_lead, cast.case)


def test_a_triage_lead_excluded_from_the_case_may_not_triage_it(cast):
    cast.other_triage_lead.groups.add(cast.case_type.triage_team)  # a colleague in the team
    exclusion_add(
        case=cast.case,
        user=cast.triage_lead,
        kind=ExclusionKind.SUBJECT,
        actor=cast.other_triage_lead,
    )
    assert not may_assign(cast.triage_lead, cast.case)


def test_nobody_triages_a_case_type_without_a_triage_team(cast):
    cast.case.case_type.triage_team = None
    assert not may_assign(cast.triage_lead, cast.case)


def test_people_come_off_a_case_only_while_it_is_new_and_only_by_its_triage_team(cast):
    from workflows.services import case_transition

    assert may_unassign(cast.triage_lead, cast.case)
    assert not may_unassign(cast.assigned_handler, cast.case)
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    assert not may_unassign(cast.triage_lead, cast.case)


def test_who_may_record_a_report_taken_by_phone(cast):
    """The triage team of the case type, while active; nobody where it has no triage team."""
    expected = {
        "triage_lead": True,
        "other_triage_lead": False,  # a triage lead, but of no team of this case type
        "assigned_handler": False,
        "external_investigator": False,
        "governance_lead": False,
        "administrator": False,
    }
    found = {who: may_record_on_behalf(getattr(cast, who), cast.case_type) for who in expected}
    assert found == expected
    cast.triage_lead.is_active = False
    assert not may_record_on_behalf(cast.triage_lead, cast.case_type)
    cast.triage_lead.is_active = True
    cast.case_type.triage_team = None
    assert not may_record_on_behalf(cast.triage_lead, cast.case_type)


@pytest.fixture
def second_triage_lead(cast):
    second = User.objects.create_user(username="second-triage")
    second.groups.add(cast.case_type.triage_team, Group.objects.get(name=Role.TRIAGE_LEAD))
    return second


def test_who_may_confirm_an_exclusion(cast, second_triage_lead):
    # The cast's exclusion of the conflicted handler was proposed by the triage lead.
    exclusion = CaseExclusion.objects.get(case=cast.case, user=cast.conflicted_handler)
    table = {
        cast.triage_lead: False,  # the proposer
        second_triage_lead: True,
        cast.other_triage_lead: False,  # triages another case type
        cast.assigned_handler: False,
        cast.administrator: False,
    }
    assert {user: may_confirm_exclusion(user, exclusion) for user in table} == table
    exclusion.confirmed_by = second_triage_lead
    assert not may_confirm_exclusion(second_triage_lead, exclusion)  # nothing left to confirm


def test_who_may_confirm_a_change_of_access(cast, second_administrator):
    team = Group.objects.create(name="Admins' own team")
    second_administrator.groups.add(team)

    def change(kind, **fields):
        return AccessChange(kind=kind, proposed_by=cast.administrator, **fields)

    role = change(ChangeKind.ROLE_GRANT, user=cast.unassigned_handler, role="Triage lead")
    cases = [
        (cast.assigned_handler, role, "not_administrator"),
        (cast.administrator, role, "own_proposal"),
        (
            second_administrator,
            change(ChangeKind.ROLE_REMOVE, user=second_administrator),
            "own_access",
        ),
        (second_administrator, change(ChangeKind.TRIAGE_TEAM_SET, team=team), "own_team"),
        (second_administrator, change(ChangeKind.TRIAGE_TEAM_SET, team=None), None),
        # Someone else joining a team the confirmer is in is not their own access.
        (
            second_administrator,
            change(ChangeKind.TEAM_JOIN, user=cast.team_handler, team=team),
            None,
        ),
        (second_administrator, role, None),
    ]
    for user, proposed, reason in cases:
        refusal = access_change_refusal(user, proposed)
        assert (refusal[0] if refusal else None) == reason
        assert may_confirm_access_change(user, proposed) is (reason is None)


# Who may see the service's health page: administrators, and nobody else in the cast.
SEES_OPERATIONS = {
    "triage_lead": False,
    "assigned_handler": False,
    "team_handler": False,
    "external_investigator": False,
    "unassigned_investigator": False,
    "unassigned_handler": False,
    "conflicted_handler": False,
    "governance_lead": False,
    "administrator": True,
    "superuser": False,
    "other_triage_lead": False,
}


def test_only_administrators_may_see_the_health_page(cast):
    assert {who: may_see_operations(getattr(cast, who)) for who in SEES_OPERATIONS} == (
        SEES_OPERATIONS
    )
    cast.administrator.is_active = False
    assert may_see_operations(cast.administrator) is False


# Written by hand: the trend reports are for governance leads and administrators only.
SEES_REPORTS = {
    "triage_lead": False,
    "assigned_handler": False,
    "team_handler": False,
    "external_investigator": False,
    "unassigned_investigator": False,
    "unassigned_handler": False,
    "conflicted_handler": False,
    "governance_lead": True,
    "administrator": True,
    "superuser": False,
    "other_triage_lead": False,
}


def test_only_governance_leads_and_administrators_may_see_the_reports(cast):
    assert {who: may_see_reports(getattr(cast, who)) for who in SEES_REPORTS} == SEES_REPORTS
    cast.governance_lead.is_active = False
    assert may_see_reports(cast.governance_lead) is False


# --- Confidential reporting (docs/decisions/0031-confidential-reporting.md) -----------------


@pytest.fixture
def contacts(cast, django_user_model):
    """The case made confidential (its reporter's name sealed apart), a confidential contact,
    one excluded from the case and one whose account is disabled."""
    from cases.models import ReporterIdentity

    ReporterIdentity.objects.create(case=cast.case, identity=b"sealed elsewhere in these tests")
    made = {
        name: User.objects.create_user(username=name, password="a-long-password-1")
        for name in ("contact", "excluded-contact", "off-contact")
    }
    group = Group.objects.get(name=Role.CONFIDENTIAL_CONTACT)
    for user in made.values():
        user.groups.add(group)
    made["off-contact"].is_active = False
    made["off-contact"].save(update_fields=["is_active"])
    exclusion_add(
        case=cast.case,
        user=made["excluded-contact"],
        kind=ExclusionKind.NAMED_BY_REPORTER,
        actor=cast.triage_lead,
    )
    return made


# who: (sees the identity before it is shared, after it is shared,
#       may reveal it before it is shared, after it is shared)
IDENTITY_ON_THE_CAST_CASE = {
    "triage_lead": (False, False, False, False),
    "assigned_handler": (False, True, False, False),
    "team_handler": (False, True, False, False),
    "external_investigator": (False, False, False, False),
    "unassigned_investigator": (False, False, False, False),
    "unassigned_handler": (False, False, False, False),
    "conflicted_handler": (False, False, False, False),
    "governance_lead": (False, False, False, False),
    "administrator": (False, False, False, False),
    "superuser": (False, False, False, False),
    "other_triage_lead": (False, False, False, False),
    "contact": (True, True, True, False),
    "excluded-contact": (False, False, False, False),
    "off-contact": (False, False, False, False),
}


@pytest.mark.parametrize(("who", "expected"), IDENTITY_ON_THE_CAST_CASE.items())
def test_who_sees_and_reveals_a_confidential_reporters_identity(cast, contacts, who, expected):
    user = contacts.get(who) or getattr(cast, who)
    answers = (
        may_see_identity(user, cast.case, shared=False),
        may_see_identity(user, cast.case, shared=True),
        may_reveal_identity(user, cast.case, shared=False),
        may_reveal_identity(user, cast.case, shared=True),
    )
    assert answers == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    {
        "contact": True,
        "excluded-contact": True,  # the role; the case's exclusion is the case's predicates'
        "off-contact": False,
        "assigned_handler": False,
        "administrator": False,
        "superuser": False,
    }.items(),
)
def test_who_is_a_confidential_contact(cast, contacts, who, expected):
    assert is_confidential_contact(contacts.get(who) or getattr(cast, who)) is expected


# --- Appeals decided by an independent decision-maker (docs/decisions/0032) -----------------


@pytest.fixture
def pool(cast):
    """Appeal decision-makers: one free of the cast's case, one who acted on it (a look), one
    granted it (assigned as a handler), one in a team holding it, one excluded from it, one
    disabled; and the cast's assigned handler, who is no decision-maker."""
    from cases.audit import event_record
    from permissions.services import case_assign

    role = Group.objects.get(name=Role.APPEAL_DECISION_MAKER.value)
    people = {}
    for name in ("free", "looked", "granted", "teamed", "excluded", "disabled"):
        people[name] = User.objects.create_user(username=f"pool-{name}")
        people[name].groups.add(role)
    event_record(case=cast.case, code="case.viewed", actor=people["looked"], payload={"view": "v"})
    people["granted"].groups.add(Group.objects.get(name=Role.HANDLER.value))
    case_assign(case=cast.case, assignee=people["granted"], actor=cast.triage_lead)
    people["teamed"].groups.add(cast.team)
    exclusion_add(
        case=cast.case, user=people["excluded"], kind=ExclusionKind.SUBJECT, actor=cast.triage_lead
    )
    people["disabled"].is_active = False
    people["disabled"].save(update_fields=["is_active"])
    return people


def test_only_a_decision_maker_who_took_no_part_may_hear_the_appeal(cast, pool):
    from permissions.predicates import may_hear_appeal

    table = {
        "free": True,
        "looked": False,
        "granted": False,
        "teamed": False,
        "excluded": False,
        "disabled": False,
    }
    assert {name: may_hear_appeal(pool[name], cast.case) for name in table} == table
    assert may_hear_appeal(cast.assigned_handler, cast.case) is False  # not in the pool


def test_only_a_live_grant_to_decide_lets_someone_decide_the_appeal(cast, pool):
    import datetime as dt

    from django.utils import timezone

    from permissions.predicates import may_decide_appeal
    from permissions.services import case_assign

    today = timezone.localdate()
    case_assign(
        case=cast.case,
        assignee=pool["free"],
        actor=cast.triage_lead,
        expires_on=today + dt.timedelta(days=7),
        for_appeal=True,
    )
    table = {
        pool["free"]: True,
        cast.assigned_handler: False,  # works the case: no grant to decide an appeal
        cast.external_investigator: False,
        cast.triage_lead: False,
        pool["looked"]: False,
    }
    assert {user: may_decide_appeal(user, cast.case) for user in table} == table
    # Outsiders to the case's handling: shown what is shared and the redacted report, and
    # they do not work it.
    assert sees_redacted_only(pool["free"]) and sees_shared_only(pool["free"])
    assert not may_work(pool["free"], cast.case) and not may_see_contact(pool["free"], cast.case)
    # A decision-maker who is also a handler is a handler on the pages.
    pool["granted"].groups.add(Group.objects.get(name=Role.APPEAL_DECISION_MAKER.value))
    assert not sees_shared_only(pool["granted"])
