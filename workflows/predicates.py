"""Who may take which step of a case's workflow: the answers the case page and
``workflows/services.case_transition`` share.

They live here and not in ``permissions/predicates.py`` because a step is declared in its
workflow module (``Step.roles``, ``Step.independent``) and the permissions layer may not
import workflows. Like every predicate they read only what the answer needs and write nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from permissions.predicates import may_assign, may_decide_appeal, may_work
from permissions.roles import CasePerm, roles_of
from workflows import registry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cases.models import Case
    from workflows.spec import Step, WorkflowSpec


def holds_step_role(user: User, step: Step) -> bool:
    """The user holds one of the roles the step names."""
    return bool(roles_of(user) & step.roles)


def took_part(user: User, case: Case) -> bool:
    """The user has taken a step of this case before (so may not hear its appeal)."""
    return bool(
        user.is_authenticated and case.events.filter(code="case.transitioned", actor=user).exists()
    )


def may_take_step(user: User, case: Case, step: Step) -> bool:
    """The step leaves the case's state, the user holds the grant it needs (works the case,
    or for an appeal's decision holds the grant to decide it), holds a role the step names
    and, for a step that must be independent (an appeal), took no part before."""
    granted = may_decide_appeal if step.perm == CasePerm.DECIDE_APPEAL else may_work
    return (
        case.state in step.sources
        and holds_step_role(user, step)
        and granted(user, case)
        and not (step.independent and took_part(user, case))
    )


def appeal_open(case: Case) -> bool:
    """The case waits for an appeal's decision: a step that must be taken independently
    leaves its state. Reads the case only."""
    return appeal_waits_in(registry.spec_of(case.case_type.workflow), case.state)


def appeal_waits_in(spec: WorkflowSpec, state: str) -> bool:
    """A case in ``state`` of ``spec`` waits for an appeal's decision (``appeal_open``)."""
    return any(step.independent for step in spec.steps_from(state))


def may_appoint_decider(user: User, case: Case) -> bool:
    """Give someone from the pool of appeal decision-makers access to decide the case's
    appeal: whoever may assign on the case (its triage team, not excluded), while the appeal
    waits for its decision (decision 0032)."""
    return appeal_open(case) and may_assign(user, case)


def steps_for(user: User, case: Case) -> list[Step]:
    """The steps ``user`` may take from the case's state now, in the workflow's order."""
    spec = registry.spec_of(case.case_type.workflow)
    return [step for step in spec.steps_from(case.state) if may_take_step(user, case, step)]
