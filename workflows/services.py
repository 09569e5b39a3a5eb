"""The only module that files a case into its workflow and changes a case's state, and the
checked way for staff to record things on a case (category, redaction, actions, police
referral, support), each asking the gate and its predicate itself.

Each move happens in a fixed order: the actor must be able to work the case (through
``permissions/access.py``) and hold a role the step allows (its workflow module in
``workflows/machines/``); then, in one
transaction, lock the row, refuse a stale step, check the move from the locked state and the
data it needs, move, save only the touched fields, write the ``case.transitioned`` event, and
start or stop the statutory clocks. A refused step changes nothing and is audited (after the
rolled-back transaction, so the record survives). Two people pressing the same button at once:
the second waits for the lock, finds the state has moved on, and is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from cases.audit import event_record
from cases.exceptions import InvalidTransition, NotAllowed
from cases.models import (
    Action,
    Case,
    CaseType,
    Category,
    MessageKind,
    OrganisationalUnit,
    Outcome,
)
from cases.news import reporter_news_record
from cases.services import (
    action_add,
    action_complete,
    case_attention_clear,
    case_categorise,
    case_create,
    case_lock,
    case_redact,
    message_add,
)
from permissions.access import case_for_user
from permissions.predicates import may_redact
from permissions.roles import CasePerm
from permissions.selectors import people_working_on
from workflows import registry
from workflows.clocks import clock_start, clock_stopped
from workflows.models import Clock
from workflows.predicates import holds_step_role, took_part
from workflows.spec import ClockKind, Need, Step, WorkflowSpec

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def case_file(
    *,
    case_type: CaseType,
    answers: Mapping[str, str],
    category: Category | None = None,
    org_unit: OrganisationalUnit | None = None,
    reporter_named: bool = False,
    reporter_contact: str = "",
    received_on: dt.date | None = None,
) -> tuple[Case, str]:
    """File a new case (``cases.services.case_create``) and start the clocks its workflow
    starts on filing, from the day of receipt, in one transaction: no case is ever without
    its acknowledgement deadline. Returns the case and its token, which exists only here."""
    spec = registry.spec_of(case_type.workflow)
    with transaction.atomic():
        case, token = case_create(
            case_type=case_type,
            answers=answers,
            category=category,
            org_unit=org_unit,
            reporter_named=reporter_named,
            reporter_contact=reporter_contact,
            received_on=received_on,
        )
        # The report is the reporter's action: its clocks' history rows carry its day only.
        received = timezone.make_aware(dt.datetime.combine(case.received_on, dt.time.min))
        for kind in spec.on_filing:
            clock_start(case=case, kind=kind, on=case.received_on, history_date=received)
    return case, token


@dataclass(frozen=True)
class _Refusal:
    reason: str
    message: str


def _refused(case: Case, actor: User | None, name: str, refusal: _Refusal) -> InvalidTransition:
    event_record(
        case=case,
        code="case.transition_refused",
        actor=actor,
        payload={"transition": name[:64], "reason": refusal.reason},
    )
    return InvalidTransition(refusal.message)


def _check_data(step: Step, *, outcome: str, consent: bool, reason: str) -> _Refusal | None:
    if Need.OUTCOME in step.needs and outcome not in Outcome.values:
        return _Refusal("data", "Choose the outcome before recording it.")
    if Need.CONSENT in step.needs and not consent:
        return _Refusal("data", "Mediation needs the recorded consent of both parties.")
    if Need.REASON in step.needs and not reason.strip():
        return _Refusal("data", "Give a reason for this step.")
    return None


def case_transition(
    *,
    case: Case,
    name: str,
    actor: User | None,
    expected_state: str | None = None,
    outcome: str = "",
    consent: bool = False,
    reason: str = "",
) -> Case:
    """Move ``case`` by its workflow's step ``name`` and return the moved case.

    ``actor`` ``None`` is the system (demo data, imports): no role check. ``expected_state`` is
    the state the actor saw; if the case has moved on since, the step is refused. Raises
    ``CaseNotFound`` if the actor cannot work the case, and ``InvalidTransition`` (audited,
    nothing changed) for an unknown step, the wrong role, the wrong state, missing data, a stale
    page, or an appeal heard by someone who took part before.
    """
    spec = registry.spec_of(case.case_type.workflow)
    model = registry.model_of(spec.key)
    step = spec.step(name)
    if actor is not None:
        case = case_for_user(actor, case.pk, CasePerm.WORK, action="transition", audit=False)
    if step is None:
        raise _refused(case, actor, name, _Refusal("unknown", InvalidTransition.message))
    if actor is not None and not holds_step_role(actor, step):
        raise _refused(case, actor, name, _Refusal("role", "Your role does not allow this step."))
    refusal: _Refusal | None = None
    with transaction.atomic():
        locked = case_lock(case=case, as_model=model)
        method = getattr(locked, name, None)
        if expected_state is not None and locked.state != expected_state:
            refusal = _Refusal(
                "stale",
                "This case has moved on since you opened it. Reload the page and try again.",
            )
        elif method is None or not hasattr(method, "_django_fsm") or not can_proceed(method):
            refusal = _Refusal("state", InvalidTransition.message)
        else:
            refusal = _check_data(step, outcome=outcome, consent=consent, reason=reason)
        if refusal is None and step.independent and actor is not None and took_part(actor, locked):
            refusal = _Refusal(
                "independence", "An appeal must be decided by someone who took no part before."
            )
        if refusal is None:
            _apply(
                locked, spec, step, method, actor, outcome=outcome, consent=consent, reason=reason
            )
            return locked
    raise _refused(case, actor, name, refusal)


def _apply(
    locked: Case,
    spec: WorkflowSpec,
    step: Step,
    method: object,
    actor: User | None,
    *,
    outcome: str,
    consent: bool,
    reason: str,
) -> None:
    source = locked.state
    today = timezone.localdate()
    method()  # type: ignore[operator]
    fields = ["state", "closed_on"]
    if outcome:
        locked.outcome = outcome
        fields.append("outcome")
    if consent:
        locked.mediation_consented_on = today
        fields.append("mediation_consented_on")
    locked.save(update_fields=fields)
    event_record(
        case=locked,
        code="case.transitioned",
        actor=actor,
        payload={"source": source, "target": locked.state, "transition": step.name},
    )
    before, after = spec.state(source), spec.state(locked.state)
    if before is None or after is None or str(before.reporter) != str(after.reporter):
        reporter_news_record(locked)  # the reporter will see a new stage
    if reason.strip() and actor is not None:
        message_add(
            case=locked,
            kind=MessageKind.INTERNAL_NOTE,
            body=f"Reason for this step ({step.label}): {reason.strip()}",
            author=actor,
        )
    _move_clocks(locked, spec, step, source=source, today=today, actor=actor)


def _move_clocks(
    case: Case, spec: WorkflowSpec, step: Step, *, source: str, today: dt.date, actor: User | None
) -> None:
    """The clocks the step stops and starts, as its workflow declares; leaving a stage stops
    its limit and entering one starts it; a closed case keeps no running clock. The case's
    clocks are read once (the case is locked), not once for each clock the step may touch."""
    clocks = {(clock.kind, clock.stage): clock for clock in Clock.objects.filter(case=case)}

    def stop(kind: str, stage: str = "") -> None:
        clock = clocks.get((kind, stage))
        if clock is not None and clock.stopped_on is None:
            clock_stopped(clock, case=case, on=today, actor=actor)

    for stopping in step.stops:
        stop(stopping)
    stop(ClockKind.STAGE, source)
    if case.state in spec.closed_states:
        for running in list(clocks):
            stop(*running)
        return
    for kind, stage in [*((kind, "") for kind in step.starts), (ClockKind.STAGE, case.state)]:
        if (kind, stage) not in clocks:
            clock_start(case=case, kind=kind, stage=stage, on=today, absent=True)


# --- Recording on a case the actor works ----------------------------------------------------
#
# The writes in ``cases/services.py`` sit below the gate (the cases layer may not import
# permissions); these are the ones the interfaces call. Each obtains the case through the gate
# for the actor and asks its predicate before writing, so whatever calls it (a page, an API, a
# task) is held to the same rule.


def _worked(actor: User, case: Case, action: str) -> Case:
    return case_for_user(actor, case.pk, CasePerm.WORK, action=action, audit=False)


def case_record_category(*, case: Case, actor: User, category: Category) -> Case:
    """Set the category of concern. ``CaseNotFound`` unless the actor works the case."""
    case = _worked(actor, case, "category")
    return case_categorise(case=case, actor=actor, category=category)


def case_record_redaction(*, case: Case, actor: User, answers: Mapping[str, str]) -> Case:
    """Save the redacted version of the report that external investigators are shown.
    ``CaseNotFound`` unless the actor works the case; ``NotAllowed`` unless they may redact
    (``predicates.may_redact``)."""
    case = _worked(actor, case, "redaction")
    if not may_redact(actor, case):
        raise NotAllowed("Only a handler can redact the report.")
    return case_redact(case=case, actor=actor, answers=answers)


def case_record_action(
    *, case: Case, actor: User, title: str, owner: User | None, due_on: dt.date | None
) -> Action:
    """Add an action, owned by nobody yet or by someone working the case (never by someone
    who cannot open it). ``CaseNotFound`` unless the actor works the case."""
    case = _worked(actor, case, "action")
    if owner is not None and not people_working_on(case).filter(pk=owner.pk).exists():
        raise NotAllowed("An action can only be given to someone working on the case.")
    return action_add(case=case, title=title, actor=actor, owner=owner, due_on=due_on)


def case_record_action_done(*, case: Case, actor: User, action_id: uuid.UUID) -> Action:
    """Mark one of the case's actions done. ``CaseNotFound`` unless the actor works the case;
    ``NotAllowed`` for an action that is not on it."""
    case = _worked(actor, case, "action_done")
    action = case.actions.filter(pk=action_id).first()
    if action is None:
        raise NotAllowed("That action is not on this case.")
    return action_complete(action=action, actor=actor)


def case_record_police_referral(*, case: Case, actor: User, on: dt.date) -> Case:
    """Record that the case was referred to the police on ``on`` (a crime may have happened)."""
    case = _worked(actor, case, "police")
    if on > timezone.localdate():
        raise InvalidTransition("A referral cannot be dated in the future.")
    with transaction.atomic():
        locked = case_lock(case=case, as_model=Case)
        locked.police_referred_on = on
        locked.save(update_fields=["police_referred_on"])
        event_record(case=locked, code="case.police_referred", actor=actor)
    return locked


SUPPORT_PARTIES = ("reporter", "subject", "witness")


def case_record_support(*, case: Case, actor: User, party: str) -> None:
    """Record that support was offered to one of the parties (reporter, subject, witness)."""
    case = _worked(actor, case, "support")
    if party not in SUPPORT_PARTIES:
        raise InvalidTransition("Choose who was offered support.")
    event_record(case=case, code="case.support_offered", actor=actor, payload={"party": party})


def case_record_attention_dealt_with(*, case: Case, actor: User) -> Case:
    """Record that what the reporter's check-in raised has been dealt with: the case leaves
    the "needs attention" list (its closed state never changed). ``CaseNotFound`` unless the
    actor works the case; ``InvalidReport`` when it does not need attention."""
    case = _worked(actor, case, "attention")
    return case_attention_clear(case=case, actor=actor)
