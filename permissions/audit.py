"""The audit record of staff accounts and access: the only module that writes ``StaffEvent``.

Case events (``cases.audit``) are about one case; these are about people: who proposed,
confirmed, declined or withdrew a change of role or team, accounts made and disabled, second
factors enrolled, replaced and reset, single sign-on links, and alerts about repeated failed
sign-ins. Each is written in the transaction of the change it records. Payloads follow the
case record's rule: declared keys, and values that are short identifiers, numbers or flags,
so no free text (and no client address or user agent) can reach the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.audit import Link, PayloadValue, chain_append, payload_check, refusal_body
from cases.exceptions import UnknownAuditEvent
from permissions.models import AccessRefusal, ChangeKind, StaffEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.utils.functional import _StrPromise

    from permissions.models import AccessChange


# code: (sentence, payload keys). Sentences are formatted with ``actor``, ``user`` and the keys.
STAFF_EVENTS: dict[str, tuple[_StrPromise, frozenset[str]]] = {}


def _register(code: str, sentence: _StrPromise, *keys: str) -> None:
    STAFF_EVENTS[code] = (sentence, frozenset(keys))


def staff_event_register(code: str, sentence: _StrPromise, *keys: str) -> None:
    """Declare a staff event of an app above this one (notifications, retention), with its
    sentence and payload keys; registering a code twice is refused."""
    if code in STAFF_EVENTS:
        raise ValueError(f"Staff event {code!r} is registered twice.")
    _register(code, sentence, *keys)


_register("access.proposed", _("{actor} proposed: {kind} for {user}."), "kind", "role", "team")
_register("access.confirmed", _("{actor} confirmed: {kind} for {user}."), "kind", "role", "team")
_register("access.declined", _("{actor} declined a proposal ({kind})."), "kind")
_register("access.withdrawn", _("{actor} withdrew their proposal ({kind})."), "kind")
_register(
    "access.refused", _("{actor} tried a change that was refused ({reason})."), "kind", "reason"
)
_register(
    "access.bootstrapped",
    _("The operator made {user} an administrator from the command line."),
    "role",
)
_register("role.granted", _("{user} was given the role {role}."), "role")
_register("role.removed", _("{user} no longer has the role {role}."), "role")
_register("team.created", _("{actor} created the team {team}."), "team")
_register("team.joined", _("{user} joined team {team}."), "team")
_register("team.left", _("{user} left team {team}."), "team")
_register(
    "triage_team.changed",
    _("Case type {case_type} is now triaged by team {team}."),
    "case_type",
    "team",
)
_register("account.created", _("{actor} created the account {user}."))
_register("account.changed", _("{actor} changed the account {user} ({fields})."), "fields")
_register("account.deactivated", _("{actor} disabled the account {user}."))
_register("account.reactivated", _("The account {user} was switched back on."))
_register("mfa.enrolled", _("{user} set up a second factor while signing in."), "type")
_register("mfa.replaced", _("{user} replaced their authenticator."), "type")
_register("mfa.recovery_codes", _("{user} made new recovery codes."))
_register("mfa.reset", _("The second factor of {user} was reset."))
_register(
    "mfa.failures",
    _("Repeated wrong second-factor codes for {user} ({count} recently)."),
    "count",
)
_register(
    "signin.failures",
    _("Repeated failed sign-ins for {user} from several places ({count} recently)."),
    "count",
)
_register("password.changed", _("{user} changed their password."))
_register("password.reset", _("{user} set a new password from an e-mailed link."))
_register("sso.linked", _("{user} linked a single sign-on identity ({provider})."), "provider")
_register(
    "report.run",
    _("{actor} ran the report for {period} ({scope}, unit {unit})."),
    "period",
    "scope",
    "unit",
)
_register(
    "report.downloaded",
    _("{actor} downloaded the report for {period} as {format} ({scope}, unit {unit})."),
    "period",
    "scope",
    "unit",
    "format",
)
_register(
    "report.pack_downloaded",
    _("{actor} downloaded the stored report pack {pack}."),
    "pack",
)
_SETTINGS_KEYS = ("subject", "target", "change", "digest")
_register("settings.changed", _("{actor} changed the setting {subject} {target}."), *_SETTINGS_KEYS)
_register(
    "settings.proposed",
    _("{actor} proposed a change to the setting {subject} {target} that needs a second person."),
    *_SETTINGS_KEYS,
)
_register(
    "settings.confirmed",
    _("{actor} confirmed the change to the setting {subject} {target}."),
    *_SETTINGS_KEYS,
)
_register(
    "settings.declined",
    _("{actor} declined the change to the setting {subject} {target}."),
    *_SETTINGS_KEYS,
)
_register(
    "settings.withdrawn",
    _("{actor} withdrew their change to the setting {subject} {target}."),
    *_SETTINGS_KEYS,
)
_register("sso.unlinked", _("{user} removed a single sign-on identity ({provider})."), "provider")
_register("cases.exported", _("{actor} exported their case list ({rows} cases)."), "rows")


def _check(code: str, payload: dict[str, PayloadValue]) -> None:
    if code not in STAFF_EVENTS:
        raise UnknownAuditEvent(f"Staff event code {code!r} is not registered.")
    payload_check(code, STAFF_EVENTS[code][1], payload)


def _person(user: AbstractBaseUser | AnonymousUser | None) -> Any:
    return user if user is not None and user.is_authenticated else None


def staff_event_record(
    *,
    code: str,
    actor: AbstractBaseUser | AnonymousUser | None,
    user: AbstractBaseUser | None = None,
    change: AccessChange | None = None,
    payload: dict[str, PayloadValue] | None = None,
) -> StaffEvent:
    """Append one staff event. Call it inside the transaction of the change it records.

    Raises ``UnknownAuditEvent`` for an unregistered code and ``ValueError`` for a payload
    key that is not declared or a value that is not a short identifier.
    """
    data = dict(payload or {})
    _check(code, data)
    event = StaffEvent(
        code=code,
        actor=_person(actor),
        user=_person(user),
        change=change,
        at=timezone.now(),
        payload=data,
    )
    # Linked into the staff events' chain in the transaction that inserts it, like refusals.
    with transaction.atomic(savepoint=False):
        event.seq, event.mac = chain_append(chain=STAFF_CHAIN, body=_body_of(event))
        event.save(force_insert=True)
    return event


STAFF_CHAIN = "staff"


def staff_event_body(
    *,
    code: str,
    actor_id: int | None,
    user_id: int | None,
    change_id: int | None,
    at: dt.datetime,
    payload: dict[str, Any],
) -> list[object]:
    """What a staff event's link covers: everything in the row except its place and links."""
    when = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return ["staff", code, actor_id, user_id, change_id, when, payload]


def _body_of(event: StaffEvent) -> list[object]:
    return staff_event_body(
        code=event.code,
        actor_id=event.actor_id,
        user_id=event.user_id,
        change_id=event.change_id,
        at=event.at,
        payload=event.payload,
    )


def _between[M: models.Model](rows: QuerySet[M], after: int, through: int | None) -> QuerySet[M]:
    if after:
        rows = rows.filter(seq__gt=after)
    if through is not None:
        rows = rows.filter(seq__lte=through)
    return rows.order_by("seq", "id")


def staff_event_links(after: int = 0, through: int | None = None) -> Iterator[Link]:
    """The staff events' chain, link by link in order, for ``cases.audit.audit_verify``; only
    the links after place ``after`` and up to ``through`` when given (for retention)."""
    rows = _between(StaffEvent.objects.all(), after, through).values_list(
        "id", "seq", "mac", "code", "actor_id", "user_id", "change_id", "at", "payload"
    )
    for r in rows.iterator(chunk_size=2000):
        body = staff_event_body(
            code=r[3], actor_id=r[4], user_id=r[5], change_id=r[6], at=r[7], payload=r[8]
        )
        yield r[0], r[1] or 0, r[2], body


def staff_event_sentence(event: StaffEvent) -> str:
    """The event as a plain sentence for the access page."""
    sentence, keys = STAFF_EVENTS.get(event.code, (_("An unrecognised event ({code})."), set()))
    values: dict[str, Any] = dict.fromkeys(keys, "")
    values.update(event.payload)
    if values.get("kind") in ChangeKind.values:
        values["kind"] = str(ChangeKind(values["kind"]).label).lower()
    values.update(
        code=event.code,
        actor=event.actor.get_username() if event.actor else str(_("The system")),
        user=event.user.get_username() if event.user else str(_("someone")),
    )
    return str(sentence).format(**values)


def refusal_links(after: int = 0, through: int | None = None) -> Iterator[Link]:
    """The refusals' chain, link by link in order, for ``cases.audit.audit_verify``; only the
    links after place ``after`` and up to ``through`` when given (for retention)."""
    rows = _between(AccessRefusal.objects.all(), after, through).values_list(
        "id", "seq", "mac", "actor_id", "case_id", "action", "at"
    )
    for r in rows.iterator(chunk_size=2000):
        yield r[0], r[1], r[2], refusal_body(actor_id=r[3], case_id=r[4], action=r[5], at=r[6])
