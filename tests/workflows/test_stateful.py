"""Random sequences of steps by random people, checked against the tables at every move."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cases.exceptions import CaseNotFound, InvalidTransition
from cases.models import Case
from tests.builders import STEP_DATA, make_case, make_case_type, make_decider, make_handler
from tests.workflows.test_transitions import CLOSED, DECIDER_STEPS, EXPECTED, INVESTIGATOR_STEPS

PEOPLE = ["handler", "investigator", "decider", "outsider"]
# Steps heard only by someone who took no part before, written out by hand.
INDEPENDENT = {"bullying": {"decide_appeal"}}


class CaseWork(RuleBasedStateMachine):
    @initialize(workflow=st.sampled_from(sorted(EXPECTED)))
    def open_case(self, workflow):
        from django.contrib.auth.models import User

        self.workflow = workflow
        self.case = make_case(case_type=make_case_type(workflow=workflow))
        self.people = {
            "handler": make_handler(self.case, f"h-{self.case.pk.hex[:8]}"),
            "investigator": make_handler(
                self.case, f"i-{self.case.pk.hex[:8]}", role="External investigator"
            ),
            "outsider": User.objects.create_user(username=f"o-{self.case.pk.hex[:8]}"),
            # Given the appeal from the start (its grant until the case leaves the appeal).
            "decider": make_decider(self.case, f"d-{self.case.pk.hex[:8]}"),
        }
        self.state = "received"
        self.moved_by: set[str] = set()
        self.decider_live = True

    @rule(data=st.data())
    def take_a_step(self, data):
        from workflows.services import case_transition

        table = {(name, source): target for name, source, target in EXPECTED[self.workflow]}
        step = data.draw(st.sampled_from(sorted({n for n, _ in table})), label="step")
        who = data.draw(st.sampled_from(PEOPLE), label="who")
        person = self.people[who]
        independent = step in INDEPENDENT.get(self.workflow, set())
        deciding = step in DECIDER_STEPS[self.workflow]
        # Who holds the grant the step needs: the decision-maker for an appeal's decision
        # (while their access lasts), the handler and investigator for every other step.
        granted = (who == "decider" and self.decider_live) if deciding else who in PEOPLE[:2]
        allowed = (
            (
                who in ("handler", "decider")
                or (who == "investigator" and step in INVESTIGATOR_STEPS[self.workflow])
            )
            and (step, self.state) in table
            and not (independent and who in self.moved_by)
        )
        if not granted:
            with pytest.raises(CaseNotFound):
                case_transition(case=self.case, name=step, actor=person, **STEP_DATA)
        elif allowed:
            source = self.state
            self.case = case_transition(case=self.case, name=step, actor=person, **STEP_DATA)
            self.state = table[(step, self.state)]
            self.moved_by.add(who)
            # Leaving the appeal ends the decision-maker's access.
            if any(
                s == source
                for n, s, _ in EXPECTED[self.workflow]
                if n in INDEPENDENT.get(self.workflow, set())
            ):
                self.decider_live = False
        else:
            with pytest.raises(InvalidTransition):
                case_transition(case=self.case, name=step, actor=person, **STEP_DATA)

    @invariant()
    def the_database_agrees(self):
        if hasattr(self, "case"):
            assert Case.objects.get(pk=self.case.pk).state == self.state

    @invariant()
    def a_closed_case_has_no_running_clock_and_an_open_one_its_deadlines(self):
        if hasattr(self, "case"):
            running = set(
                self.case.clocks.filter(stopped_on__isnull=True).values_list("kind", flat=True)
            )
            if self.state in CLOSED[self.workflow]:
                assert running == set()
            if self.state == "received":
                assert running == {"acknowledge"}


@pytest.mark.django_db
@pytest.mark.slow
def test_random_case_work_follows_the_tables():
    machine = CaseWork
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    machine.TestCase().runTest()
