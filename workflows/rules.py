"""Who may take each step of each workflow, and what the step needs: the guards, as a table.

``workflows/services.py`` applies them; ``tests/workflows`` checks every (state, step, role)
against them. A step is taken only by someone who can work the case (a per-case grant, through
``permissions/access.py``) and holds one of the step's roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.models import Workflow
from permissions.roles import Role

HANDLER = frozenset({Role.HANDLER})
HANDLER_OR_INVESTIGATOR = frozenset({Role.HANDLER, Role.EXTERNAL_INVESTIGATOR})


@dataclass(frozen=True)
class StepRule:
    roles: frozenset[Role] = HANDLER
    # Data the step records: "outcome" (an Outcome), "consent" (mediation agreed by both
    # parties), "reason" (free text, kept as a sealed internal note).
    needs: frozenset[str] = field(default_factory=frozenset)
    # Heard by someone who took no part in the case's earlier steps (appeals).
    independent: bool = False


def _needs(*names: str) -> frozenset[str]:
    return frozenset(names)


RULES: dict[str, dict[str, StepRule]] = {
    Workflow.WHISTLEBLOWING: {
        "acknowledge": StepRule(),
        "begin_assessment": StepRule(),
        "open_investigation": StepRule(),
        "record_outcome": StepRule(HANDLER_OR_INVESTIGATOR, _needs("outcome")),
        "close": StepRule(),
        "mark_not_in_scope": StepRule(needs=_needs("reason")),
        "refer_externally": StepRule(needs=_needs("reason")),
        "withdraw": StepRule(needs=_needs("reason")),
        "reopen": StepRule(needs=_needs("reason")),
    },
    Workflow.BULLYING: {
        "begin_initial_assessment": StepRule(),
        "resolve_informally": StepRule(),
        "begin_mediation": StepRule(needs=_needs("consent")),
        "open_formal_investigation": StepRule(),
        # The investigator investigates; the decision is someone else's (separation of roles).
        "record_decision": StepRule(needs=_needs("outcome")),
        "open_appeal": StepRule(needs=_needs("reason")),
        "decide_appeal": StepRule(needs=_needs("outcome"), independent=True),
        "close": StepRule(),
        "withdraw": StepRule(needs=_needs("reason")),
    },
    Workflow.TREND_ONLY: {
        "review": StepRule(),
        "close": StepRule(),
    },
}
