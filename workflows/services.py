"""The only module that files a case into its workflow and changes a case's state, and the
checked way for staff to record things on a case (category, redaction, actions, police
referral, support), each asking the gate and its predicate itself.

Each move happens in a fixed order, in one transaction: obtain the case through the gate
(``permissions/access.py``) under its row lock, in one read; check that the actor holds a role
the step allows (its workflow module in ``workflows/machines/``), refuse a stale step, check
the move from the locked state and the data it needs; move, save only the touched fields,
start or stop the statutory clocks, and write the ``case.transitioned`` event with those of
the clocks stopped. A refused step changes nothing and is audited (after the rolled-back
transaction, so the record survives). Two people pressing the same button at once: the second
waits for the lock, finds the state has moved on, and is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from cases.audit import Event, event_record, events_record
from cases.exceptions import InvalidTransition, NotAllowed
from cases.history import HistoryRow, history_save, history_write
from cases.models import (
    Action,
    Case,
    CaseType,
    Category,
    Evidence,
    Message,
    MessageKind,
    OrganisationalUnit,
    SharedItem,
)
from cases.news import reporter_news_record
from cases.outcomes import outcome_offered
from cases.services import (
    Confidential,
    action_add,
    action_complete,
    case_attention_clear,
    case_categorise,
    case_create,
    case_lock,
    case_redact,
    item_share,
    item_unshare,
    message_add,
)
from permissions.access import case_for_user, case_locked_for_user
from permissions.predicates import may_redact, may_share, may_steer
from permissions.roles import CasePerm
from permissions.selectors import people_working_on
from permissions.services import AssignmentRefused, case_appeal_access_end, case_assign
from workflows import registry
from workflows.clocks import clock_start, clock_stopped, clocks_locked
from workflows.models import Clock
from workflows.predicates import appeal_open, appeal_waits_in, holds_step_role, took_part
from workflows.signals import decider_appointed, step_taken
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
    started: list[Clock] | None = None,
    channel: str = "web",
    confidential: Confidential | None = None,
) -> tuple[Case, str]:
    """File a new case (``cases.services.case_create``) and start the clocks its workflow
    starts on filing, from the day of receipt, in one transaction: no case is ever without
    its acknowledgement deadline. Returns the case and its token, which exists only here;
    given ``started``, the clocks started are added to it (so they need not be read again)."""
    spec = registry.spec_of(case_type.workflow)
    # Part of the caller's transaction when there is one (a report, a check-in): no savepoint,
    # since a failure here fails the whole of it anyway.
    with transaction.atomic(savepoint=False):
        case, token = case_create(
            case_type=case_type,
            answers=answers,
            category=category,
            org_unit=org_unit,
            reporter_named=reporter_named,
            reporter_contact=reporter_contact,
            received_on=received_on,
            channel=channel,
            confidential=confidential,
        )
        # The report is the reporter's action: its clocks' history rows carry its day only,
        # and are written together (``cases.history``).
        received = timezone.make_aware(dt.datetime.combine(case.received_on, dt.time.min))
        history: list[HistoryRow] = []
        for kind in spec.on_filing:
            clock = clock_start(
                case=case,
                kind=kind,
                on=case.received_on,
                history_date=received,
                absent=True,
                history=history,
            )
            if clock is not None and started is not None:
                started.append(clock)
        history_write(history)
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


def case_appoint_decider(
    *, case: Case, assignee: User, actor: User, expires_on: dt.date | None
) -> None:
    """Give ``assignee``, from the pool of appeal decision-makers, access to decide the
    appeal of ``case``, until it is decided or ``expires_on`` (decision 0032): through the one
    granting service (``permissions.services.case_assign``, which checks the actor triages
    the case, the person took no part and the end date), once this has checked, under the
    case's row lock, that its appeal waits for a decision. Raises ``AssignmentRefused``
    (audited) otherwise."""
    refused: AssignmentRefused | None = None
    with transaction.atomic():
        locked = case_lock(case=case, as_model=Case)
        if appeal_open(locked):
            try:
                case_assign(
                    case=locked,
                    assignee=assignee,
                    actor=actor,
                    expires_on=expires_on,
                    for_appeal=True,
                )
                decider_appointed.send(sender=Case, case=locked, assignee=assignee)
            except AssignmentRefused as refusal:
                # Refused before anything was granted: its audit event stays (committed).
                refused = refusal
        else:
            event_record(
                case=locked,
                code="case.assignment_refused",
                actor=actor,
                payload={"reason": "no_appeal"},
            )
            refused = AssignmentRefused("This case has no appeal waiting for a decision.")
    if refused is not None:
        raise refused


def _check_data(
    step: Step, case_type_id: int, *, outcome: str, consent: bool, reason: str
) -> _Refusal | None:
    if Need.OUTCOME in step.needs and not outcome:
        return _Refusal("data", "Choose the outcome before recording it.")
    # Only an active outcome of the case's own type: a retired code, another type's, or one
    # typed into a forged form is refused (one query, for the steps that record an outcome).
    if Need.OUTCOME in step.needs and not outcome_offered(case_type_id, outcome):
        return _Refusal(
            "data", "Choose an outcome from the list: that one is not offered for this case."
        )
    if Need.CONSENT in step.needs and not consent:
        return _Refusal("data", "Mediation needs the recorded consent of both parties.")
    if Need.REASON in step.needs and not reason.strip():
        return _Refusal("data", "Give a reason for this step.")
    return None


def case_transition(
    *,
    case: Case | uuid.UUID | str,
    name: str,
    actor: User | None,
    expected_state: str | None = None,
    outcome: str = "",
    consent: bool = False,
    reason: str = "",
) -> Case:
    """Move ``case`` by its workflow's step ``name`` and return the moved case.

    ``case`` is the case or its id as a page received it (the case is obtained here, through
    the gate and under its row lock in one read, so a caller need not obtain it first).
    ``actor`` ``None`` is the system (demo data, imports): no gate, no role check.
    ``expected_state`` is the state the actor saw; if the case has moved on since, the step is
    refused. Raises ``CaseNotFound`` (recorded as a refusal) if the actor cannot work the
    case (for an appeal's decision: holds no live grant to decide it), and
    ``InvalidTransition`` (audited, nothing changed) for an unknown step, the wrong role, the
    wrong state, missing data (an outcome not offered for the case's type), a stale page, or
    an appeal heard by someone who took part before.
    """
    if actor is None:
        locking = _system_lock(case)
    else:
        case_id = case.pk if isinstance(case, Case) else case
        # Working the case, or for an appeal's decision the decision-maker's grant for it.
        perm = registry.step_perm(name)
        locking = case_locked_for_user(actor, case_id, perm, action="transition")
    with locking as found:
        locked = registry.as_workflow_case(found)
        spec = registry.spec_of(locked.case_type.workflow)
        step = spec.step(name)
        refusal = _refusal(
            locked, spec, step, name, actor, expected_state, outcome, consent, reason
        )
        if refusal is None and step is not None:
            _apply(locked, spec, step, actor, outcome=outcome, consent=consent, reason=reason)
            return locked
    # After the rolled-back transaction, so the refusal's record survives.
    raise _refused(locked, actor, name, refusal or _Refusal("state", InvalidTransition.message))


@contextlib.contextmanager
def _system_lock(case: object) -> Iterator[Case]:
    """The case under its row lock in a new transaction, for the system (no gate)."""
    if not isinstance(case, Case):
        raise TypeError("The system moves a case it holds, not one named by an id.")
    with transaction.atomic():
        yield case_lock(case=case, as_model=Case)


def _refusal(
    locked: Case,
    spec: WorkflowSpec,
    step: Step | None,
    name: str,
    actor: User | None,
    expected_state: str | None,
    outcome: str,
    consent: bool,
    reason: str,
) -> _Refusal | None:
    """Why the step may not be taken now, in the order the checks are made; ``None`` if it
    may. Reads the locked row, so two people pressing at once cannot both pass."""
    if step is None:
        return _Refusal("unknown", InvalidTransition.message)
    if actor is not None and not holds_step_role(actor, step):
        return _Refusal("role", "Your role does not allow this step.")
    if expected_state is not None and locked.state != expected_state:
        return _Refusal(
            "stale", "This case has moved on since you opened it. Reload the page and try again."
        )
    method = getattr(locked, name, None)
    if method is None or not hasattr(method, "_django_fsm") or not can_proceed(method):
        return _Refusal("state", InvalidTransition.message)
    refusal = _check_data(
        step, locked.case_type_id, outcome=outcome, consent=consent, reason=reason
    )
    if refusal is None and step.independent and actor is not None and took_part(actor, locked):
        return _Refusal(
            "independence", "An appeal must be decided by someone who took no part before."
        )
    return refusal


def _apply(
    locked: Case,
    spec: WorkflowSpec,
    step: Step,
    actor: User | None,
    *,
    outcome: str,
    consent: bool,
    reason: str,
) -> None:
    source = locked.state
    today = timezone.localdate()
    getattr(locked, step.name)()
    fields = ["state", "closed_on"]
    # Only what the step records: an outcome or a consent sent with any other step (a forged
    # form, a caller passing everything) is ignored, never stored unchecked.
    if Need.OUTCOME in step.needs:
        locked.outcome = outcome
        fields.append("outcome")
    if consent and Need.CONSENT in step.needs:
        locked.mediation_consented_on = today
        fields.append("mediation_consented_on")
    # The history rows of the case and of the clocks the step stops and starts, written
    # together at the end (``cases.history``): one INSERT for the case's, one for the clocks'.
    history: list[HistoryRow] = []
    history_save(locked, history, "~", update_fields=fields)
    # The step's event and those of the deadlines it stops, recorded together at the end.
    events = [
        Event(
            code="case.transitioned",
            actor=actor,
            payload={"source": source, "target": locked.state, "transition": step.name},
        )
    ]
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
    _move_clocks(
        locked, spec, step, source=source, today=today, actor=actor, events=events, history=history
    )
    history_write(history)
    events_record(case=locked, events=events)
    # Leaving the appeal (decided, or another way out) ends the decision-makers' access to it.
    if appeal_waits_in(spec, source):
        case_appeal_access_end(case=locked)
    step_taken.send(sender=Case, case=locked, source=source, step=step)


def _move_clocks(
    case: Case,
    spec: WorkflowSpec,
    step: Step,
    *,
    source: str,
    today: dt.date,
    actor: User | None,
    events: list[Event],
    history: list[HistoryRow],
) -> None:
    """The clocks the step stops and starts, as its workflow declares; leaving a stage stops
    its limit and entering one starts it; a closed case keeps no running clock. The case's
    clocks are read once (the case is locked), not once for each clock the step may touch;
    the events of the clocks stopped join ``events``, and the history rows of the clocks
    stopped and started join ``history`` (the caller writes them, in one INSERT)."""
    clocks = {(clock.kind, clock.stage): clock for clock in clocks_locked(case)}

    def stop(kind: str, stage: str = "") -> None:
        clock = clocks.get((kind, stage))
        if clock is not None and clock.stopped_on is None:
            clock_stopped(clock, case=case, on=today, actor=actor, events=events, history=history)

    for stopping in step.stops:
        stop(stopping)
    stop(ClockKind.STAGE, source)
    if case.state in spec.closed_states:
        for running in list(clocks):
            stop(*running)
    else:
        starts = [*((kind, "") for kind in step.starts), (ClockKind.STAGE, case.state)]
        for kind, stage in starts:
            if (kind, stage) not in clocks:
                clock_start(
                    case=case, kind=kind, stage=stage, on=today, absent=True, history=history
                )


# --- Recording on a case the actor works ----------------------------------------------------
#
# The writes in ``cases/services.py`` sit below the gate (the cases layer may not import
# permissions); these are the ones the interfaces call. Each obtains the case through the gate
# for the actor and asks its predicate before writing, so whatever calls it (a page, an API, a
# task) is held to the same rule.


def _worked(actor: User, case: Case, action: str) -> Case:
    return case_for_user(actor, case.pk, CasePerm.WORK, action=action, audit=False)


def _steered(actor: User, case: Case, action: str) -> Case:
    """The case, for a write to the organisation's record of it (``predicates.may_steer``):
    ``CaseNotFound`` unless the actor works it, ``NotAllowed`` unless they may steer it."""
    case = _worked(actor, case, action)
    if not may_steer(actor, case):
        raise NotAllowed("Only a handler can record this on the case.")
    return case


def case_record_category(*, case: Case, actor: User, category: Category) -> Case:
    """Set the category of concern. ``CaseNotFound`` unless the actor works the case."""
    case = _steered(actor, case, "category")
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
    case = _steered(actor, case, "action")
    if owner is not None and not people_working_on(case).filter(pk=owner.pk).exists():
        raise NotAllowed("An action can only be given to someone working on the case.")
    return action_add(case=case, title=title, actor=actor, owner=owner, due_on=due_on)


def case_record_action_done(*, case: Case, actor: User, action_id: uuid.UUID) -> Action:
    """Mark one of the case's actions done. ``CaseNotFound`` unless the actor works the case;
    ``NotAllowed`` for an action that is not on it."""
    case = _steered(actor, case, "action_done")
    action = case.actions.filter(pk=action_id).first()
    if action is None:
        raise NotAllowed("That action is not on this case.")
    return action_complete(action=action, actor=actor)


def case_record_police_referral(*, case: Case, actor: User, on: dt.date) -> Case:
    """Record that the case was referred to the police on ``on`` (a crime may have happened)."""
    case = _steered(actor, case, "police")
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
    case = _steered(actor, case, "support")
    if party not in SUPPORT_PARTIES:
        raise InvalidTransition("Choose who was offered support.")
    event_record(case=case, code="case.support_offered", actor=actor, payload={"party": party})


def case_record_attention_dealt_with(*, case: Case, actor: User) -> Case:
    """Record that what the reporter's check-in raised has been dealt with: the case leaves
    the "needs attention" list (its closed state never changed). ``CaseNotFound`` unless the
    actor works the case; ``InvalidReport`` when it does not need attention."""
    case = _steered(actor, case, "attention")
    return case_attention_clear(case=case, actor=actor)


# --- Sharing with external investigators (docs/decisions/0024-investigator-sharing.md) -----


def _sharing(actor: User, case: Case, action: str) -> Case:
    case = _worked(actor, case, action)
    if not may_share(actor, case):
        raise NotAllowed("Only a handler can choose what investigators see.")
    return case


def case_record_share(
    *,
    case: Case,
    actor: User,
    message: Message | None = None,
    evidence: Evidence | None = None,
    redacted: str = "",
) -> SharedItem:
    """Share a message, note or evidence file with the case's external investigators, as
    ``redacted`` when given (``cases.services.item_share``, audited). ``CaseNotFound`` unless
    the actor works the case; ``NotAllowed`` unless they may share (``predicates.may_share``)."""
    case = _sharing(actor, case, "share")
    return item_share(case=case, actor=actor, message=message, evidence=evidence, redacted=redacted)


def case_record_unshare(
    *, case: Case, actor: User, message: Message | None = None, evidence: Evidence | None = None
) -> bool:
    """Stop sharing a message, note or file with the case's external investigators
    (``cases.services.item_unshare``, audited when it was shared). ``CaseNotFound`` unless
    the actor works the case; ``NotAllowed`` unless they may share."""
    case = _sharing(actor, case, "unshare")
    return item_unshare(case=case, actor=actor, message=message, evidence=evidence)
