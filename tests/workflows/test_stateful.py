"""Random sequences of steps by random people, checked against the tables at every move."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cases.exceptions import CaseNotFound, InvalidTransition
from cases.models import Case, Workflow
from permissions.roles import Role
from tests.builders import STEP_DATA, make_case, make_case_type, make_handler
from workflows.models import transition_table
from workflows.rules import RULES

PEOPLE = ["handler", "investigator", "outsider"]


class CaseWork(RuleBasedStateMachine):
    @initialize(workflow=st.sampled_from(list(Workflow)))
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
        }
        self.state = "received"
        self.moved_by: set[str] = set()

    @rule(data=st.data())
    def take_a_step(self, data):
        from workflows.services import case_transition

        table = {(r.name, r.source): r.target for r in transition_table(self.workflow)}
        step = data.draw(st.sampled_from(sorted(RULES[self.workflow])), label="step")
        who = data.draw(st.sampled_from(PEOPLE), label="who")
        person = self.people[who]
        rule_ = RULES[self.workflow][step]
        role = {"handler": Role.HANDLER, "investigator": Role.EXTERNAL_INVESTIGATOR}.get(who)
        allowed = (
            who != "outsider"
            and role in rule_.roles
            and (step, self.state) in table
            and not (rule_.independent and who in self.moved_by)
        )
        if who == "outsider":
            with pytest.raises(CaseNotFound):
                case_transition(case=self.case, name=step, actor=person, **STEP_DATA)
        elif allowed:
            self.case = case_transition(case=self.case, name=step, actor=person, **STEP_DATA)
            self.state = table[(step, self.state)]
            self.moved_by.add(who)
        else:
            with pytest.raises(InvalidTransition):
                case_transition(case=self.case, name=step, actor=person, **STEP_DATA)

    @invariant()
    def the_database_agrees(self):
        if hasattr(self, "case"):
            assert Case.objects.get(pk=self.case.pk).state == self.state


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
