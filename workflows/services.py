"""The only module that changes a case's state.

Each move happens in one transaction in a fixed order: lock the row, check the move is
allowed from the state the row has now, move, save only the fields the move touched, write
the ``case.transitioned`` audit event. Two people pressing the same button at once: the
second waits for the lock, then finds the state has moved on and is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django_fsm import can_proceed

from cases.audit import event_record
from cases.exceptions import InvalidTransition
from cases.models import Case
from cases.services import case_lock
from workflows.models import WORKFLOW_MODELS

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def case_transition(
    *, case: Case, name: str, actor: User | None, expected_state: str | None = None
) -> Case:
    """Move ``case`` by its workflow's transition ``name`` and return the moved case.

    ``expected_state`` is the state the actor saw; if the case has moved on since, the step
    is refused rather than applied to a state they did not see. Raises ``InvalidTransition``
    (nothing changed) for an unknown transition or one not allowed from the current state.
    Guards by role and required data arrive with the workflows issue.
    """
    model = WORKFLOW_MODELS[case.case_type.workflow]
    with transaction.atomic():
        locked = case_lock(case=case, as_model=model)
        if expected_state is not None and locked.state != expected_state:
            raise InvalidTransition(
                "This case has moved on since you opened it. Reload the page and try again."
            )
        method = getattr(locked, name, None)
        if method is None or not hasattr(method, "_django_fsm") or not can_proceed(method):
            raise InvalidTransition()
        source = locked.state
        method()
        locked.save(update_fields=["state", "closed_on"])
        event_record(
            case=locked,
            code="case.transitioned",
            actor=actor,
            payload={"source": source, "target": locked.state},
        )
    return locked
