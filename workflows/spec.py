"""The vocabulary a workflow module declares itself in: states, steps, clocks.

A workflow is one module in ``workflows/machines/`` holding one ``WorkflowSpec``. Everything
the rest of the system knows about a process comes from it: the states with their staff and
reporter wording, which states are closed, the steps (source states, target, who may take
them, what they need, which clocks they start and stop), and the clocks started when a case
is filed. ``workflows/registry.py`` turns each spec into a django-fsm proxy model of ``Case``;
nothing outside ``workflows/machines/`` names a state or a step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from permissions.roles import CasePerm, Role

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    Words = _StrPromise | str


class ClockKind(models.TextChoices):
    """The deadlines a step can start or stop. Their lengths are case type data."""

    ACKNOWLEDGE = "acknowledge", _("Acknowledge receipt")  # EU Directive: 7 days
    FEEDBACK = "feedback", _("Give feedback")  # EU Directive: 3 months from acknowledging
    STAGE = "stage", _("Finish the stage")  # per-stage limits of the case type


class Need(StrEnum):
    """Data a step records, asked for on the step's form."""

    OUTCOME = "outcome"  # an Outcome
    CONSENT = "consent"  # mediation agreed by both parties (the day is recorded)
    REASON = "reason"  # free text, kept as a sealed internal note


HANDLER = frozenset({Role.HANDLER})
HANDLER_OR_INVESTIGATOR = frozenset({Role.HANDLER, Role.EXTERNAL_INVESTIGATOR})
APPEAL_DECISION_MAKER = frozenset({Role.APPEAL_DECISION_MAKER})


@dataclass(frozen=True)
class State:
    name: str
    staff: Words  # the state as staff see it: a tag on the case page and list
    reporter: Words  # what the reporter is told is happening, in their terms
    closed: bool = False  # a closed case has no running clock and awaits retention


@dataclass(frozen=True)
class Step:
    name: str
    sources: tuple[str, ...]
    target: str
    label: Words  # the button: an instruction in plain words ("Acknowledge receipt")
    roles: frozenset[Role] = HANDLER
    needs: frozenset[Need] = frozenset()
    # Heard by someone who took no part in the case (appeals): taken under a grant for it
    # alone (``perm``), which an independent decision-maker is given for the appeal only.
    independent: bool = False
    # A step that ends the case without its normal course (withdrawn, not in scope): shown
    # apart from the next steps, and confirmed before it is taken.
    leaving: bool = False
    starts: tuple[ClockKind, ...] = ()
    stops: tuple[ClockKind, ...] = ()

    @property
    def perm(self) -> CasePerm:
        """The per-case grant taking the step needs: deciding an appeal has a grant of its own
        (the decision-maker's, which works nothing else); every other step works the case."""
        return CasePerm.DECIDE_APPEAL if self.independent else CasePerm.WORK


@dataclass(frozen=True)
class WorkflowSpec:
    key: str  # stored on each case type; never change it once cases use it
    label: Words
    model_name: str  # the proxy model's class name
    description: Words
    states: tuple[State, ...]
    steps: tuple[Step, ...]
    # Whether cases are looked into and the reporter hears back (messages, feedback); a
    # trend-only report is counted and closed, and its reporter is told so before sending.
    investigates: bool = True
    # Clocks that start the day a case is received.
    on_filing: tuple[ClockKind, ...] = (ClockKind.ACKNOWLEDGE,)
    initial: str = "received"
    _by_name: dict[str, State] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {state.name: state for state in self.states})
        problems = self.problems()
        if problems:
            raise ValueError(f"Workflow {self.key!r} is not consistent: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with the declaration (empty when it is sound)."""
        found: list[str] = []
        names = [state.name for state in self.states]
        if len(set(names)) != len(names):
            found.append("a state is declared twice")
        if self.initial not in self._by_name:
            found.append(f"the initial state {self.initial!r} is not declared")
        step_names = [step.name for step in self.steps]
        if len(set(step_names)) != len(step_names):
            found.append("a step is declared twice")
        for step in self.steps:
            for named in (*step.sources, step.target):
                if named not in self._by_name:
                    found.append(f"step {step.name!r} names an undeclared state {named!r}")
            if not step.roles:
                found.append(f"step {step.name!r} names no role")
        reachable, frontier = {self.initial}, [self.initial]
        while frontier:
            here = frontier.pop()
            for step in self.steps:
                if here in step.sources and step.target not in reachable:
                    reachable.add(step.target)
                    frontier.append(step.target)
        for state in self.states:
            if state.name not in reachable:
                found.append(f"state {state.name!r} cannot be reached")
        return found

    def state(self, name: str) -> State | None:
        return self._by_name.get(name)

    def step(self, name: str) -> Step | None:
        return next((step for step in self.steps if step.name == name), None)

    @property
    def closed_states(self) -> frozenset[str]:
        return frozenset(state.name for state in self.states if state.closed)

    def steps_from(self, state: str) -> list[Step]:
        return [step for step in self.steps if state in step.sources]
