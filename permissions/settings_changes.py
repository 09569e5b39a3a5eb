"""Settings changes: the one way the settings pages change what an organisation configures
(case types, categories, units, deadlines, branding, support, campaigns).

Rules kept here, for every kind of setting alike:
- only an administrator changes a setting (``may_configure``);
- every change is one ``SettingsChange`` row holding the values before and after, and one
  staff event carrying a digest of them, written in the transaction that makes the change;
- a change that weakens protection (each kind says which do: a longer statutory deadline, a
  corporate network range dropped, confidential or named reporting offered) is only
  proposed; a *different* administrator confirms it (``may_confirm_settings_change``; the
  database refuses a confirmation by the proposer), and it is made only if the setting still
  holds the values it was proposed against;
- a change that changes nothing is refused, so the record holds only real changes.

Each kind of setting is a ``Subject`` registered by the app that owns its rows (``workflows``
for case types, ``intake`` for branding): how to read its values, make them, and whether a
change weakens protection. Retention policies (``retention.PolicyChange``) and access
(``permissions.AccessChange``) keep their own two-person records, which predate this one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from cases.exceptions import SpeakUpError
from permissions.audit import staff_event_record
from permissions.models import SettingsChange, SettingsStatus
from permissions.predicates import may_configure, may_confirm_settings_change

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Values = dict[str, Any]


class SettingsRefused(SpeakUpError):
    message = "That change to the settings was refused."


@dataclass(frozen=True)
class Subject:
    """A kind of setting. ``current`` reads the values of row ``target_id`` (``{}`` for a new
    row), locking it; ``apply`` makes ``after`` its values and returns the row's id (a new
    one for ``None``); ``weakens`` says in a few words how a change lowers protection, or
    ``""``; ``check`` raises ``SettingsRefused`` for a change that cannot be made at all."""

    key: str
    current: Callable[[int | None], Values]
    apply: Callable[[int | None, Values], int]
    weakens: Callable[[Values, Values], str] = lambda before, after: ""
    check: Callable[[int | None, Values, Values], None] = lambda target, before, after: None


SUBJECTS: dict[str, Subject] = {}


def settings_subject_register(subject: Subject) -> None:
    """Declare a kind of setting (once, from its app's ``ready``)."""
    if subject.key in SUBJECTS:
        raise ValueError(f"Settings subject {subject.key!r} is registered twice.")
    SUBJECTS[subject.key] = subject


def settings_row_locked[M: Model](rows: QuerySet[M], target_id: int | None) -> M | None:
    """The row ``target_id`` of ``rows``, locked for the change; ``None`` for a new row.
    Raises ``SettingsRefused`` when it is gone."""
    if target_id is None:
        return None
    found = rows.select_for_update().filter(pk=target_id).first()
    if found is None:
        raise SettingsRefused("That setting no longer exists.")
    return found


def _subject(key: str) -> Subject:
    try:
        return SUBJECTS[key]
    except KeyError:
        raise SettingsRefused(f"There is no setting called {key!r}.") from None


def settings_digest(change: SettingsChange) -> str:
    """What the staff events of ``change`` vouch for: its subject, row and values."""
    body = [change.subject, change.target_id, change.before, change.after]
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _record(code: str, actor: User, change: SettingsChange) -> None:
    staff_event_record(
        code=code,
        actor=actor,
        payload={
            "subject": change.subject,
            "target": change.target_id,
            "change": change.pk,
            "digest": settings_digest(change),
        },
    )


def settings_change_weakens(change: SettingsChange) -> str:
    """How ``change`` weakens protection, in a few words, or ``""``: what the pages say about a
    proposal. Reads only."""
    return _subject(change.subject).weakens(change.before, change.after)


def settings_change_make(
    *, actor: User, subject: str, target_id: int | None, after: Values
) -> SettingsChange:
    """Change the setting ``subject`` of row ``target_id`` (``None``: a new row) to
    ``after``. Made at once and recorded (``settings.changed``), or, when it weakens
    protection, proposed (``settings.proposed``) for a second administrator to confirm.
    Raises ``SettingsRefused`` for someone who is not an administrator, a change that
    changes nothing, or one the subject refuses."""
    if not may_configure(actor):
        raise SettingsRefused("Only an administrator can change the settings.")
    kind = _subject(subject)
    with transaction.atomic():
        before = kind.current(target_id)
        changed = {key: value for key, value in after.items() if before.get(key) != value}
        if target_id is not None and not changed:
            raise SettingsRefused("That is the setting already: nothing was changed.")
        kind.check(target_id, before, after)
        weakens = kind.weakens(before, after)
        change = SettingsChange(
            subject=subject,
            target_id=target_id,
            before=before,
            after=after,
            status=SettingsStatus.PENDING if weakens else SettingsStatus.MADE,
            proposed_by=actor,
            proposed_at=timezone.now(),
        )
        if not weakens:
            change.target_id = kind.apply(target_id, after)
        change.save(force_insert=True)
        _record("settings.proposed" if weakens else "settings.changed", actor, change)
    return change


def _pending(change: SettingsChange) -> SettingsChange:
    locked = SettingsChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != SettingsStatus.PENDING:
        raise SettingsRefused("That proposal has already been decided.")
    return locked


def settings_change_confirm(*, change: SettingsChange, actor: User) -> SettingsChange:
    """A second administrator confirms a weakening change: it is made now, if the setting
    still holds the values it was proposed against. Audited (``settings.confirmed``).
    Raises ``SettingsRefused`` for the proposer, anyone not an administrator, a decided
    proposal, or a setting changed since."""
    if not may_configure(actor):
        raise SettingsRefused("Only an administrator can confirm a change of the settings.")
    with transaction.atomic():
        change = _pending(change)
        if not may_confirm_settings_change(actor, proposed_by_id=change.proposed_by_id):
            raise SettingsRefused("A second administrator must confirm this change.")
        kind = _subject(change.subject)
        if kind.current(change.target_id) != change.before:
            raise SettingsRefused(
                "The setting has changed since this was proposed: decline it and propose "
                "the change again."
            )
        kind.check(change.target_id, change.before, change.after)
        kind.apply(change.target_id, change.after)
        change.status = SettingsStatus.CONFIRMED
        change.confirmed_by = change.closed_by = actor
        change.closed_at = timezone.now()
        change.save(update_fields=["status", "confirmed_by", "closed_by", "closed_at"])
        _record("settings.confirmed", actor, change)
    return change


def settings_change_close(*, change: SettingsChange, actor: User) -> SettingsChange:
    """Withdraw one's own proposal, or decline another administrator's; nothing changes.
    Audited (``settings.withdrawn``, ``settings.declined``)."""
    if not may_configure(actor):
        raise SettingsRefused("Only an administrator can decide on a change of the settings.")
    with transaction.atomic():
        change = _pending(change)
        own = change.proposed_by_id == actor.pk
        change.status = SettingsStatus.WITHDRAWN if own else SettingsStatus.DECLINED
        change.closed_by = actor
        change.closed_at = timezone.now()
        change.save(update_fields=["status", "closed_by", "closed_at"])
        _record("settings.withdrawn" if own else "settings.declined", actor, change)
    return change
