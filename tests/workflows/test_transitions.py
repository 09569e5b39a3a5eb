import pytest
from django.db import transaction

from cases.exceptions import CaseNotFound, InvalidTransition
from cases.models import Case, CaseEvent
from tests.builders import (
    STEP_DATA,
    make_case,
    make_case_type,
    make_decider,
    make_handler,
    path_to,
)
from workflows import registry
from workflows.models import transition_table
from workflows.services import case_transition

WB, BHD, TREND = "whistleblowing", "bullying", "trend_only"

# The expected machines, written out by hand: a change to a workflow must change this too.
EXPECTED = {
    WB: {
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
    BHD: {
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
        ("decide_appeal", "appeal", "closed"),
        ("withdraw", "received", "withdrawn"),
        ("withdraw", "initial_assessment", "withdrawn"),
        ("withdraw", "informal_resolution", "withdrawn"),
        ("withdraw", "mediation", "withdrawn"),
    },
    TREND: {
        ("review", "received", "reviewed"),
        ("close", "reviewed", "closed"),
    },
}


# Who may take each step, written out by hand: handlers take every step; external
# investigators only these (they investigate; decisions are someone else's).
INVESTIGATOR_STEPS = {
    WB: {"record_outcome"},
    BHD: set(),
    TREND: set(),
}
# Steps taken under an appeal decision-maker's grant for the case, not a handler's: written
# out by hand (docs/decisions/0032). Anyone else asking to take one is not found.
DECIDER_STEPS = {WB: set(), BHD: {"decide_appeal"}, TREND: set()}


def _actor_for(case, workflow: str, name: str):
    """Someone who took no part before and holds the grant the step needs."""
    if name in DECIDER_STEPS[workflow]:
        return make_decider(case, "fresh-decider")
    return make_handler(case, "fresh-handler")


# What each step needs, written out by hand; a step not named needs nothing.
NEEDS = {
    WB: {
        "record_outcome": {"outcome"},
        "mark_not_in_scope": {"reason"},
        "refer_externally": {"reason"},
        "withdraw": {"reason"},
        "reopen": {"reason"},
    },
    BHD: {
        "begin_mediation": {"consent"},
        "record_decision": {"outcome"},
        "open_appeal": {"reason"},
        "decide_appeal": {"outcome"},
        "withdraw": {"reason"},
    },
    TREND: {},
}
# Each need, missing: what a form sends when the field is left empty.
EMPTY = {"outcome": "", "consent": False, "reason": "  "}


def _first_source(workflow: str, name: str) -> str:
    return sorted(s for n, s, _ in EXPECTED[workflow] if n == name)[0]


def assert_machine(workflow: str, expected: set[tuple[str, str, str]]) -> None:
    """The workflow's django-fsm model moves exactly as the hand-written table says."""
    table = {(row.name, row.source, row.target) for row in transition_table(workflow)}
    assert table == expected


def test_every_registered_workflow_has_its_table_here():
    assert {spec.key for spec in registry.specs()} == set(EXPECTED)


@pytest.mark.parametrize("workflow", list(EXPECTED))
def test_transition_table_is_exactly_the_expected_machine(workflow):
    assert_machine(workflow, EXPECTED[workflow])


@pytest.mark.parametrize("workflow", list(EXPECTED))
def test_every_state_has_a_label_and_every_label_a_state(workflow):
    spec = registry.spec_of(workflow)
    states = {s for _, source, target in EXPECTED[workflow] for s in (source, target)}
    assert states == {state.name for state in spec.states}
    assert all(str(state.staff) and str(state.reporter) for state in spec.states)


def _all_moves():
    for workflow, rows in EXPECTED.items():
        for name, source, target in sorted(rows):
            yield pytest.param(workflow, name, source, target, id=f"{workflow}-{source}-{name}")


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "name", "state", "target"), list(_all_moves()))
def test_every_move_in_the_table_succeeds_for_a_handler(workflow, name, state, target):
    case = make_case(case_type=make_case_type(workflow=workflow), state=state)
    # Someone who took no part before, so independence never hides the rule under test (a
    # decision-maker for an appeal's decision).
    actor = _actor_for(case, workflow, name)
    history, events = case.history.count(), CaseEvent.objects.filter(case=case).count()
    moved = case_transition(case=case, name=name, actor=actor, **STEP_DATA)
    assert Case.objects.get(pk=case.pk).state == moved.state == target
    assert case.history.count() == history + 1
    codes = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("code", flat=True))
    assert codes[events:].count("case.transitioned") == 1
    if "outcome" in NEEDS[workflow].get(name, set()):
        assert moved.outcome == "substantiated"


def _all_states():
    for workflow, rows in EXPECTED.items():
        for state in sorted({s for _, source, target in rows for s in (source, target)}):
            yield pytest.param(workflow, state, id=f"{workflow}-{state}")


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "state"), list(_all_states()))
def test_every_step_not_in_the_table_is_refused(workflow, state, subtests):
    """Each step the table does not allow from this state, a subtest each. A refused step
    changes nothing but the audit record, so one case takes all the refusals in turn."""
    case = make_case(case_type=make_case_type(workflow=workflow), state=state)
    # Someone who took no part before, so independence never hides the rule under test; the
    # decision-maker for the steps taken under their grant.
    actor = make_handler(case, "fresh-handler")
    decider = make_decider(case, "fresh-decider") if DECIDER_STEPS[workflow] else None
    allowed = {n for n, s, _ in EXPECTED[workflow] if s == state}
    for name in sorted({n for n, _, _ in EXPECTED[workflow]} - allowed):
        with subtests.test(step=name):
            history = case.history.count()
            taker = decider if name in DECIDER_STEPS[workflow] else actor
            with pytest.raises(InvalidTransition):
                case_transition(case=case, name=name, actor=taker, **STEP_DATA)
            assert Case.objects.get(pk=case.pk).state == state
            assert case.history.count() == history
            refused = CaseEvent.objects.filter(case=case).latest("id")
            assert refused.code == "case.transition_refused"
            assert refused.payload == {"transition": name, "reason": "state"}


def _every_step():
    for workflow, rows in EXPECTED.items():
        for name in sorted({n for n, _, _ in rows}):
            yield pytest.param(workflow, name, id=f"{workflow}-{name}")


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "name"), list(_every_step()))
def test_investigators_take_only_their_steps(workflow, name):
    source = _first_source(workflow, name)
    case = make_case(case_type=make_case_type(workflow=workflow), state=source)
    investigator = make_handler(case, "investigator", role="External investigator")
    if name in INVESTIGATOR_STEPS[workflow]:
        case_transition(case=case, name=name, actor=investigator, **STEP_DATA)
        assert Case.objects.get(pk=case.pk).state != source
    elif name in DECIDER_STEPS[workflow]:
        # Their grant works the case but is no grant to decide an appeal: not found.
        with pytest.raises(CaseNotFound):
            case_transition(case=case, name=name, actor=investigator, **STEP_DATA)
        assert Case.objects.get(pk=case.pk).state == source
    else:
        with pytest.raises(InvalidTransition, match="role"):
            case_transition(case=case, name=name, actor=investigator, **STEP_DATA)
        assert Case.objects.get(pk=case.pk).state == source


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "name"), list(_every_step()))
def test_each_step_needs_exactly_the_data_in_the_table(workflow, name, subtests):
    """Each need left empty in turn, a subtest each, on the case at the step's source as it was
    before any subtest: each subtest runs in a savepoint rolled back at its end, and reads the
    case afresh (walking a new case to the source for each cost three times as much)."""
    source = _first_source(workflow, name)
    built = make_case(case_type=make_case_type(workflow=workflow), state=source)
    handler = _actor_for(built, workflow, name)
    for need in ("outcome", "consent", "reason"):
        with subtests.test(need=need), transaction.atomic():
            case = Case.objects.get(pk=built.pk)
            assert case.state == source
            data = {**STEP_DATA, need: EMPTY[need]}
            if need in NEEDS[workflow].get(name, set()):
                with pytest.raises(InvalidTransition, match=need):
                    case_transition(case=case, name=name, actor=handler, **data)
                assert Case.objects.get(pk=case.pk).state == source
            else:
                moved = case_transition(case=case, name=name, actor=handler, **data)
                assert moved.state != source
            transaction.set_rollback(True)


@pytest.mark.django_db
def test_people_who_cannot_work_the_case_get_not_found(cast):
    for who in (
        "triage_lead",
        "governance_lead",
        "unassigned_handler",
        "superuser",
        "conflicted_handler",
    ):
        with pytest.raises(CaseNotFound):
            case_transition(case=cast.case, name="acknowledge", actor=getattr(cast, who))
    assert Case.objects.get(pk=cast.case.pk).state == "received"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("workflow", "state", "name", "missing", "message"),
    [
        ("whistleblowing", "assessment", "record_outcome", {"outcome": ""}, "outcome"),
        ("whistleblowing", "assessment", "record_outcome", {"outcome": "made-up"}, "outcome"),
        ("bullying", "initial_assessment", "begin_mediation", {"consent": False}, "consent"),
        ("whistleblowing", "received", "withdraw", {"reason": "  "}, "reason"),
        ("bullying", "decision", "open_appeal", {"reason": ""}, "reason"),
    ],
)
def test_a_step_without_its_data_is_refused_and_audited(workflow, state, name, missing, message):
    case = make_case(case_type=make_case_type(workflow=workflow), state=state)
    handler = make_handler(case)
    with pytest.raises(InvalidTransition, match=message):
        case_transition(case=case, name=name, actor=handler, **{**STEP_DATA, **missing})
    assert Case.objects.get(pk=case.pk).state == state
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.payload == {"transition": name, "reason": "data"}


@pytest.mark.django_db
def test_an_appeal_is_decided_by_someone_who_took_no_part_before():
    case = make_case(case_type=make_case_type(workflow=BHD), state="formal_investigation")
    first = make_handler(case, "first")
    case = case_transition(case=case, name="record_decision", actor=first, **STEP_DATA)
    case = case_transition(case=case, name="open_appeal", actor=first, **STEP_DATA)
    # A handler who took part, even given a grant to decide the appeal (which the granting
    # service refuses them: tests/staff/test_appeal_decider.py), is refused by the step.
    from django.contrib.auth.models import Group, Permission

    from permissions.models import CaseUserPermission
    from permissions.roles import CasePerm

    first.groups.add(Group.objects.get_or_create(name="Appeal decision-maker")[0])
    CaseUserPermission.objects.create(
        content_object=case,
        user=first,
        permission=Permission.objects.get(codename=CasePerm.DECIDE_APPEAL),
    )
    with pytest.raises(InvalidTransition, match="took no part"):
        case_transition(case=case, name="decide_appeal", actor=first, outcome="appeal_dismissed")
    second = make_decider(case, "second")
    closed = case_transition(
        case=case, name="decide_appeal", actor=second, outcome="appeal_dismissed"
    )
    assert closed.state == "closed" and closed.outcome == "appeal_dismissed"


@pytest.mark.django_db
def test_mediation_records_the_day_consent_was_given():
    case = make_case(case_type=make_case_type(workflow=BHD), state="initial_assessment")
    moved = case_transition(
        case=case, name="begin_mediation", actor=make_handler(case), consent=True
    )
    assert moved.mediation_consented_on is not None


@pytest.mark.django_db
def test_a_reason_is_kept_as_a_sealed_internal_note():
    from cases.selectors import message_list_for_case

    case = make_case()
    case_transition(
        case=case, name="withdraw", actor=make_handler(case), reason="The reporter asked."
    )
    notes = message_list_for_case(case, include_internal=True)
    assert notes[-1].kind == "internal_note" and "The reporter asked." in notes[-1].body
    assert message_list_for_case(case, include_internal=False) == []


@pytest.mark.django_db
def test_a_step_from_another_workflow_or_no_step_at_all_is_refused():
    case = make_case(case_type=make_case_type(workflow=TREND))
    handler = make_handler(case)
    for name in ("acknowledge", "begin_mediation", "save", "delete", "__class__", "state"):
        with pytest.raises(InvalidTransition):
            case_transition(case=case, name=name, actor=handler)
    assert Case.objects.get(pk=case.pk).state == "received"


@pytest.mark.django_db
def test_a_stale_step_is_refused_with_a_conflict_message():
    case = make_case()
    handler = make_handler(case)
    case_transition(case=case, name="acknowledge", actor=handler)
    with pytest.raises(InvalidTransition, match="moved on"):
        case_transition(
            case=case, name="begin_assessment", actor=handler, expected_state="received"
        )


@pytest.mark.django_db
def test_closing_records_the_day_and_reopening_clears_it():
    case = make_case(state="outcome")
    handler = make_handler(case)
    closed = case_transition(case=case, name="close", actor=handler)
    assert closed.closed_on is not None
    reopened = case_transition(case=closed, name="reopen", actor=handler, reason="New evidence.")
    assert reopened.closed_on is None and reopened.state == "assessment"


@pytest.mark.django_db
def test_state_cannot_be_set_directly(case):
    with pytest.raises(AttributeError):
        case.state = "closed"


def test_every_state_is_reachable_from_received():
    for workflow, rows in EXPECTED.items():
        for state in {target for _, _, target in rows}:
            path_to(workflow, state)


# The states in which a case is over, written out by hand.
CLOSED = {
    WB: {"closed", "not_in_scope", "referred", "withdrawn"},
    BHD: {"closed", "withdrawn"},
    TREND: {"closed"},
}


@pytest.mark.parametrize("workflow", list(EXPECTED))
def test_the_closed_states_are_exactly_these(workflow):
    assert registry.spec_of(workflow).closed_states == CLOSED[workflow]


def _closed_walks():
    for workflow, states in CLOSED.items():
        for state in sorted(states):
            yield pytest.param(workflow, state, id=f"{workflow}-{state}")


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "state"), list(_closed_walks()))
def test_a_case_walked_to_a_closed_state_has_no_running_clock(workflow, state):
    case_type = make_case_type(
        workflow=workflow,
        acknowledge_within_days=7,
        feedback_within_months=3,
        stage_limits={
            stage: {"days": 20, "working": True}
            for stage in {s for _, s, _ in EXPECTED[workflow]} - CLOSED[workflow]
        },
    )
    case = make_case(case_type=case_type, state=state)
    assert case.clocks.exists()
    assert list(case.clocks.filter(stopped_on__isnull=True)) == []
    assert case.closed_on is not None
