"""What the notifications do when something happens below them (connected when the app is
ready, ``notifications/apps.py``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.models import Case
from notifications import kinds
from notifications.selectors import triage_leads_of
from notifications.services import notify
from workflows import registry
from workflows.predicates import appeal_waits_in
from workflows.signals import decider_appointed, step_taken


@receiver(step_taken, sender=Case, dispatch_uid="notifications.appeal_waiting")
def appeal_waiting(*, case: Case, source: str, **_: Any) -> None:
    """A step that opened an appeal tells the case type's triage leads (not those excluded
    from the case) that it waits for a decision-maker, whom they choose from people who took
    no part (decision 0032); nobody else, and nothing for any other step. In the step's
    transaction, so the step and its notice stand or fall together."""
    spec = registry.spec_of(case.case_type.workflow)
    if appeal_waits_in(spec, case.state) and not appeal_waits_in(spec, source):
        notify(triage_leads_of(case), kinds.APPEAL_WAITING, case)


@receiver(decider_appointed, sender=Case, dispatch_uid="notifications.appeal_to_decide")
def appeal_to_decide(*, case: Case, assignee: Any, **_: Any) -> None:
    """The person given an appeal to decide is told so, in the grant's transaction."""
    notify([assignee], kinds.APPEAL_TO_DECIDE, case)
