"""The audit record: the only module that writes ``CaseEvent`` rows.

Every change and every view of a case adds one event, in the same transaction as the change,
so a change without its event (or an event without its change) cannot be committed. An event
holds a dotted code, the acting staff user, the time and a small payload. Payload keys are
declared per code and values are short identifiers, numbers or flags, so no free text, and so
no case content or reporter identifier, can reach the audit record. The registry turns codes
into sentences for the case timeline.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.exceptions import UnknownAuditEvent
from cases.models import CaseEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.utils.functional import _StrPromise

    from cases.models import Case

# Payload values are identifiers (state names, kinds, content types), never prose.
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:/+\- ]{0,64}$")
PayloadValue = str | int | bool | None


@dataclass(frozen=True)
class EventType:
    code: str
    sentence: _StrPromise | str
    payload_keys: frozenset[str]


REGISTRY: dict[str, EventType] = {}


def register(code: str, sentence: _StrPromise | str, *payload_keys: str) -> EventType:
    """Declare an event code, its timeline sentence and the payload keys it may carry.

    The sentence is formatted with ``actor`` and the payload keys, e.g.
    ``"{actor} moved the case from {source} to {target}."``.
    """
    if code in REGISTRY:
        raise ValueError(f"Audit event {code!r} is registered twice.")
    event_type = EventType(code=code, sentence=sentence, payload_keys=frozenset(payload_keys))
    REGISTRY[code] = event_type
    return event_type


register("case.created", _("The case was received."), "case_type")
register("case.viewed", _("{actor} viewed the case."), "view")
register("case.viewed_by_reporter", _("The reporter viewed the case."))
register(
    "case.transitioned",
    _("{actor} moved the case from {source} to {target}."),
    "source",
    "target",
    "transition",
)
register(
    "case.data_unreadable", _("Part of the case ({field}) failed its integrity check."), "field"
)
register("message.added", _("{actor} added a message ({kind})."), "kind")
register("evidence.attached", _("{actor} attached evidence ({kind})."), "kind")
register("action.added", _("{actor} added an action."))
register(
    "case.assigned",
    _("{actor} assigned the case to user {assignee} as {role}."),
    "assignee",
    "role",
)
register("case.team_assigned", _("{actor} assigned the case to team {team}."), "team")
register("case.unassigned", _("{actor} removed an assignment."), "assignee", "team")
register(
    "case.assignment_refused",
    _("{actor} tried an assignment that was refused ({reason})."),
    "reason",
)
register(
    "case.exclusion_added",
    _("{actor} excluded user {user} from the case ({kind})."),
    "user",
    "kind",
)
register("case.exclusion_confirmed", _("{actor} confirmed the exclusion of user {user}."), "user")
register("case.recused", _("{actor} stepped aside from the case."), "user", "kind")
register(
    "case.transition_refused",
    _("{actor} tried to {transition}, which was refused ({reason})."),
    "transition",
    "reason",
)
register("case.categorised", _("{actor} set the category."))
register("case.redacted", _("{actor} saved a redacted version of the report."))
register("case.police_referred", _("{actor} recorded a referral to the police."))
register("case.support_offered", _("{actor} recorded support offered to the {party}."), "party")
register("clock.met", _("The deadline to {clock} (due {due_on}) was met."), "clock", "due_on")
register("clock.missed", _("The deadline to {clock} (due {due_on}) was missed."), "clock", "due_on")
register(
    "clock.overdue", _("The deadline to {clock} (due {due_on}) has passed."), "clock", "due_on"
)
register("clock.paused", _("{actor} paused the deadline to {clock}."), "clock")
register(
    "clock.resumed",
    _("{actor} resumed the deadline to {clock}, now due {due_on}."),
    "clock",
    "due_on",
)
register(
    "clock.extended",
    _("{actor} extended the deadline to {clock} by {days} days, now due {due_on}."),
    "clock",
    "days",
    "due_on",
)
register("action.completed", _("{actor} completed an action."))


def _check_payload(event_type: EventType, payload: dict[str, PayloadValue]) -> None:
    unknown = set(payload) - event_type.payload_keys
    if unknown:
        raise ValueError(f"Audit event {event_type.code!r} takes no payload key {sorted(unknown)}.")
    for key, value in payload.items():
        if isinstance(value, str) and not _SAFE_TEXT.match(value):
            raise ValueError(f"Audit payload {key!r} must be a short identifier, not free text.")
        if not isinstance(value, str | int | bool | type(None)):
            raise ValueError(f"Audit payload {key!r} must be a string, number or flag.")


def event_record(
    *,
    case: Case,
    code: str,
    actor: User | None = None,
    payload: dict[str, PayloadValue] | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Append one audit event for ``case``. Call it inside the transaction of the change.

    Raises ``UnknownAuditEvent`` for an unregistered code and ``ValueError`` for a payload
    that is not declared or not an identifier. ``at`` lets reporter-originated events be
    stored to the day (see ``cases.services.reporter_time``).
    """
    event_type = REGISTRY.get(code)
    if event_type is None:
        raise UnknownAuditEvent(f"Audit event code {code!r} is not registered.")
    data = dict(payload or {})
    _check_payload(event_type, data)
    return CaseEvent.objects.create(
        case=case, code=code, actor=actor, at=at or timezone.now(), payload=data
    )


def event_sentence(event: CaseEvent) -> str:
    """The event as a plain sentence for the case timeline."""
    event_type = REGISTRY.get(event.code)
    if event_type is None:
        return str(_("An unrecognised event ({code}).")).format(code=event.code)
    actor = event.actor.get_username() if event.actor else str(_("The reporter or system"))
    values: dict[str, Any] = dict.fromkeys(event_type.payload_keys, "")
    values.update(event.payload)
    return str(event_type.sentence).format(actor=actor, **values)
