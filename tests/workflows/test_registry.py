"""A workflow is one module: declaring it is all it takes to appear everywhere.

A fourth workflow, declared here as its module would declare it, shows on the process page,
passes the transition-table check, offers its step on the case page and moves a case, with no
other file edited. Declarations that do not hold together are refused.
"""

import pytest

from cases.models import Case, CaseType
from tests.builders import make_case, make_case_type, make_handler
from tests.workflows.test_transitions import assert_machine
from workflows import registry
from workflows.spec import ClockKind, State, Step, WorkflowSpec

TICKET = WorkflowSpec(
    key="test_ticket",
    label="Test ticket",
    model_name="TestTicketCase",
    description="A two-state process declared by a test.",
    states=(
        State("received", "Received", "We have your ticket."),
        State("done", "Done", "Your ticket is done.", closed=True),
    ),
    steps=(Step("finish", ("received",), "done", "Finish the ticket"),),
)


@pytest.fixture
def ticket():
    registry.register(TICKET)
    yield TICKET
    registry.unregister(TICKET.key)


def test_a_new_workflow_is_on_the_process_page(ticket, cast, sign_in, client):
    sign_in(cast.governance_lead)
    page = client.get("/staff/workflows/").content.decode()
    assert "Test ticket" in page and "Finish the ticket" in page


def test_a_new_workflow_passes_the_transition_table_check(ticket):
    assert_machine("test_ticket", {("finish", "received", "done")})


@pytest.mark.django_db
def test_a_new_workflow_offers_its_step_on_the_case_page_and_moves_a_case(ticket, sign_in, client):
    case_type = make_case_type(workflow="test_ticket", acknowledge_within_days=7)
    case_type.full_clean()  # the registered key is a valid choice for a case type
    case = make_case(case_type=case_type)
    assert case.clocks.get().kind == ClockKind.ACKNOWLEDGE
    handler = make_handler(case)
    sign_in(handler)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Finish the ticket" in page
    client.post(f"/staff/cases/{case.pk}/step/", {"step": "finish", "expected_state": "received"})
    moved = Case.objects.get(pk=case.pk)
    assert moved.state == "done" and moved.closed_on is not None
    assert not case.clocks.filter(stopped_on__isnull=True).exists()


@pytest.mark.django_db
def test_an_unregistered_workflow_is_not_a_valid_choice():
    from django.core.exceptions import ValidationError

    case_type = CaseType(slug="x", name="X", workflow="test_ticket", retention_days=1)
    with pytest.raises(ValidationError):
        case_type.full_clean()


@pytest.mark.parametrize(
    ("states", "steps", "problem"),
    [
        (("received",), (("go", ("received",), "nowhere"),), "undeclared state 'nowhere'"),
        (("received", "island"), (), "state 'island' cannot be reached"),
        (
            ("received", "done"),
            (("go", ("received",), "done"), ("go", ("received",), "done")),
            "declared twice",
        ),
    ],
)
def test_a_declaration_that_does_not_hold_together_is_refused(states, steps, problem):
    with pytest.raises(ValueError, match=problem):
        WorkflowSpec(
            key="broken",
            label="Broken",
            model_name="BrokenCase",
            description="",
            states=tuple(State(name, name, name) for name in states),
            steps=tuple(Step(name, sources, target, name) for name, sources, target in steps),
        )


def test_a_step_needs_a_role():
    with pytest.raises(ValueError, match="names no role"):
        WorkflowSpec(
            key="broken",
            label="Broken",
            model_name="BrokenCase",
            description="",
            states=(State("received", "R", "R"), State("done", "D", "D")),
            steps=(Step("go", ("received",), "done", "Go", roles=frozenset()),),
        )


def test_another_workflow_cannot_take_a_registered_key():
    clash = WorkflowSpec(
        key="whistleblowing",
        label="Clash",
        model_name="ClashCase",
        description="",
        states=(State("received", "R", "R"),),
        steps=(),
    )
    with pytest.raises(ValueError, match="already registered"):
        registry.register(clash)
