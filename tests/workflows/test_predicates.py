"""Who may take which step: the predicates the case page offers buttons by and
``case_transition`` refuses by, against tables written by hand."""

import pytest
from django.contrib.auth.models import User

from tests.builders import make_case, make_case_type, make_handler
from workflows import registry
from workflows.predicates import holds_step_role, may_take_step, steps_for, took_part
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
def test_an_appeal_is_not_offered_to_the_only_handler_who_took_part():
    case = make_case(case_type=make_case_type(workflow="bullying"), state="formal_investigation")
    first = make_handler(case, "first")
    case = case_transition(
        case=case, name="record_decision", actor=first, outcome="substantiated", reason="Because."
    )
    case = case_transition(
        case=case, name="open_appeal", actor=first, outcome="substantiated", reason="Because."
    )
    second = make_handler(case, "second")
    decide = _step(case, "decide_appeal")
    table = {first: False, second: True}
    assert {user: may_take_step(user, case, decide) for user in table} == table
    assert [s.name for s in steps_for(first, case)] == []
    assert [s.name for s in steps_for(second, case)] == ["decide_appeal"]
    assert took_part(first, case) and not took_part(second, case)


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
