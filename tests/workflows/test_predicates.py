"""Who may take which step: the predicates the case page offers buttons by and
``case_transition`` refuses by, against tables written by hand."""

import pytest
from django.contrib.auth.models import Group, User

from tests.builders import make_case, make_case_type, make_decider, make_handler
from workflows import registry
from workflows.predicates import (
    appeal_open,
    holds_step_role,
    may_appoint_decider,
    may_take_step,
    steps_for,
    took_part,
)
from workflows.services import case_transition


def _step(case, name):
    return registry.spec_of(case.case_type.workflow).step(name)


@pytest.mark.django_db
def test_the_steps_each_person_is_offered_on_a_whistleblowing_case_in_assessment():
    case = make_case(state="assessment")
    handler = make_handler(case, "handler")
    investigator = make_handler(case, "investigator", role="External investigator")
    unassigned = User.objects.create_user(username="unassigned")
    offered = {
        handler: [
            "open_investigation",
            "record_outcome",
            "mark_not_in_scope",
            "refer_externally",
            "withdraw",
        ],
        investigator: ["record_outcome"],  # the only step that names their role
        unassigned: [],  # reaches nothing, so may take nothing
    }
    assert {user: [s.name for s in steps_for(user, case)] for user in offered} == offered


@pytest.mark.django_db
def test_an_appeal_is_offered_only_to_a_decision_maker_given_it_who_took_no_part():
    case = make_case(case_type=make_case_type(workflow="bullying"), state="formal_investigation")
    first = make_handler(case, "first")
    case = case_transition(
        case=case, name="record_decision", actor=first, outcome="substantiated", reason="Because."
    )
    case = case_transition(
        case=case, name="open_appeal", actor=first, outcome="substantiated", reason="Because."
    )
    second = make_handler(case, "second")  # took no part, but a handler works the case
    decider = make_decider(case, "decider")
    pool = User.objects.create_user(username="pool")  # in the pool, not given this appeal
    pool.groups.add(Group.objects.get_or_create(name="Appeal decision-maker")[0])
    decide = _step(case, "decide_appeal")
    table = {first: False, second: False, decider: True, pool: False}
    assert {user: may_take_step(user, case, decide) for user in table} == table
    offered = {first: [], second: [], decider: ["decide_appeal"], pool: []}
    assert {user: [s.name for s in steps_for(user, case)] for user in offered} == offered
    assert took_part(first, case) and not took_part(second, case)
    # Taking part: a decision-maker who took a step before is refused even with the grant.
    first.groups.add(Group.objects.get(name="Appeal decision-maker"))
    _grant_decide(case, first)
    assert may_take_step(first, case, decide) is False


def _grant_decide(case, user) -> None:
    """A grant to decide made in the table, as the granting service refuses someone who took
    part (the step's own check is under test)."""
    from django.contrib.auth.models import Permission

    from permissions.models import CaseUserPermission

    CaseUserPermission.objects.create(
        content_object=case, user=user, permission=Permission.objects.get(codename="decide_appeal")
    )


@pytest.mark.django_db
def test_an_appeal_is_open_only_in_the_state_an_independent_step_leaves():
    """Written by hand: only the bullying procedure's appeal is heard independently."""
    bullying = make_case_type(workflow="bullying")
    table = {
        ("bullying", "decision"): False,
        ("bullying", "appeal"): True,
        ("bullying", "closed"): False,
        ("whistleblowing", "assessment"): False,
    }
    found = {}
    for workflow, state in table:
        case_type = bullying if workflow == "bullying" else make_case_type()
        found[(workflow, state)] = appeal_open(make_case(case_type=case_type, state=state))
    assert found == table


@pytest.mark.django_db
def test_only_the_triage_team_appoints_a_decider_and_only_while_the_appeal_waits(cast):
    from permissions.services import case_assign
    from tests.builders import path_to

    case_type = make_case_type(workflow="bullying", triage_team=cast.case_type.triage_team)
    case = make_case(case_type=case_type, state="decision")
    case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    assert may_appoint_decider(cast.triage_lead, case) is False  # no appeal yet
    for name in path_to("bullying", "appeal")[-1:]:
        case = case_transition(case=case, name=name, actor=cast.assigned_handler, reason="R.")
    table = {
        cast.triage_lead: True,
        cast.assigned_handler: False,  # works it, does not triage it
        cast.other_triage_lead: False,  # triages another kind
        cast.administrator: False,
    }
    assert {user: may_appoint_decider(user, case) for user in table} == table


@pytest.mark.django_db
def test_a_step_from_another_state_is_never_allowed():
    case = make_case(state="received")
    handler = make_handler(case)
    assert holds_step_role(handler, _step(case, "close"))
    assert not may_take_step(handler, case, _step(case, "close"))
    assert may_take_step(handler, case, _step(case, "acknowledge"))


@pytest.mark.django_db
def test_a_role_the_step_does_not_name_is_never_allowed():
    case = make_case(state="received")
    investigator = make_handler(case, "investigator", role="External investigator")
    assert not holds_step_role(investigator, _step(case, "acknowledge"))
    assert not may_take_step(investigator, case, _step(case, "acknowledge"))


@pytest.mark.django_db
def test_someone_signed_out_took_part_in_nothing():
    from django.contrib.auth.models import AnonymousUser

    case = make_case(state="received")
    assert not took_part(AnonymousUser(), case)  # type: ignore[arg-type]
