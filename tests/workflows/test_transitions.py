import pytest

from cases.exceptions import InvalidTransition
from cases.models import Case, CaseEvent, Workflow
from tests.builders import make_case, make_case_type, path_to
from workflows.models import WORKFLOW_MODELS, transition_table
from workflows.services import case_transition

# The expected machines, written out by hand: a change to a workflow must change this too.
EXPECTED = {
    Workflow.WHISTLEBLOWING: {
        ("acknowledge", "received", "acknowledged"),
        ("begin_assessment", "acknowledged", "assessment"),
        ("open_investigation", "assessment", "investigation"),
        ("record_outcome", "assessment", "outcome"),
        ("record_outcome", "investigation", "outcome"),
        ("close", "outcome", "closed"),
        ("mark_not_in_scope", "received", "not_in_scope"),
        ("mark_not_in_scope", "acknowledged", "not_in_scope"),
        ("mark_not_in_scope", "assessment", "not_in_scope"),
        ("refer_externally", "acknowledged", "referred"),
        ("refer_externally", "assessment", "referred"),
        ("refer_externally", "investigation", "referred"),
        ("withdraw", "received", "withdrawn"),
        ("withdraw", "acknowledged", "withdrawn"),
        ("withdraw", "assessment", "withdrawn"),
        ("withdraw", "investigation", "withdrawn"),
        ("reopen", "closed", "assessment"),
        ("reopen", "not_in_scope", "assessment"),
        ("reopen", "referred", "assessment"),
        ("reopen", "withdrawn", "assessment"),
    },
    Workflow.BULLYING: {
        ("begin_initial_assessment", "received", "initial_assessment"),
        ("resolve_informally", "initial_assessment", "informal_resolution"),
        ("begin_mediation", "initial_assessment", "mediation"),
        ("open_formal_investigation", "initial_assessment", "formal_investigation"),
        ("open_formal_investigation", "informal_resolution", "formal_investigation"),
        ("open_formal_investigation", "mediation", "formal_investigation"),
        ("record_decision", "formal_investigation", "decision"),
        ("open_appeal", "decision", "appeal"),
        ("close", "informal_resolution", "closed"),
        ("close", "mediation", "closed"),
        ("close", "decision", "closed"),
        ("close", "appeal", "closed"),
        ("withdraw", "received", "withdrawn"),
        ("withdraw", "initial_assessment", "withdrawn"),
        ("withdraw", "informal_resolution", "withdrawn"),
        ("withdraw", "mediation", "withdrawn"),
    },
    Workflow.TREND_ONLY: {
        ("review", "received", "reviewed"),
        ("close", "reviewed", "closed"),
    },
}


@pytest.mark.parametrize("workflow", list(Workflow))
def test_transition_table_is_exactly_the_expected_machine(workflow):
    table = {(row.name, row.source, row.target) for row in transition_table(workflow)}
    assert table == EXPECTED[workflow]


@pytest.mark.parametrize("workflow", list(Workflow))
def test_every_state_has_a_label_and_every_label_a_state(workflow):
    model = WORKFLOW_MODELS[workflow]
    states = {s for _, source, target in EXPECTED[workflow] for s in (source, target)}
    assert states == set(model.STATES)


def _all_moves():
    for workflow, rows in EXPECTED.items():
        states = {s for _, source, target in rows for s in (source, target)}
        names = {name for name, _, _ in rows}
        for state in sorted(states):
            for name in sorted(names):
                allowed = (name, state) in {(n, s) for n, s, _ in rows}
                yield pytest.param(workflow, state, name, allowed, id=f"{workflow}-{state}-{name}")


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "state", "name", "allowed"), list(_all_moves()))
def test_every_move_succeeds_where_allowed_and_is_refused_elsewhere(
    workflow, state, name, allowed, staff_user
):
    case = make_case(case_type=make_case_type(workflow=workflow), state=state)
    history, events = case.history.count(), CaseEvent.objects.filter(case=case).count()
    if allowed:
        moved = case_transition(case=case, name=name, actor=staff_user)
        target = {(n, s): t for n, s, t in EXPECTED[workflow]}[(name, state)]
        assert Case.objects.get(pk=case.pk).state == moved.state == target
        assert case.history.count() == history + 1
        assert CaseEvent.objects.filter(case=case).count() == events + 1
    else:
        with pytest.raises(InvalidTransition):
            case_transition(case=case, name=name, actor=staff_user)
        assert Case.objects.get(pk=case.pk).state == state
        assert case.history.count() == history
        assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.django_db
def test_a_step_from_another_workflow_or_no_step_at_all_is_refused(staff_user):
    case = make_case(case_type=make_case_type(workflow=Workflow.TREND_ONLY))
    for name in ("acknowledge", "begin_mediation", "save", "delete", "__class__", "state"):
        with pytest.raises(InvalidTransition):
            case_transition(case=case, name=name, actor=staff_user)
    assert Case.objects.get(pk=case.pk).state == "received"


@pytest.mark.django_db
def test_a_stale_step_is_refused_with_a_conflict_message(staff_user):
    case = make_case()
    case_transition(case=case, name="acknowledge", actor=staff_user)
    with pytest.raises(InvalidTransition, match="moved on"):
        case_transition(case=case, name="acknowledge", actor=staff_user, expected_state="received")


@pytest.mark.django_db
def test_closing_records_the_day_and_reopening_clears_it(staff_user):
    case = make_case(state="outcome")
    closed = case_transition(case=case, name="close", actor=staff_user)
    assert closed.closed_on is not None
    reopened = case_transition(case=closed, name="reopen", actor=staff_user)
    assert reopened.closed_on is None and reopened.state == "assessment"


@pytest.mark.django_db
def test_state_cannot_be_set_directly(case):
    with pytest.raises(AttributeError):
        case.state = "closed"


def test_every_state_is_reachable_from_received():
    for workflow, model in WORKFLOW_MODELS.items():
        for state in model.STATES:
            path_to(workflow, state)
