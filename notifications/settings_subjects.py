"""A case type's reminder policy as a kind of setting (``permissions.settings_changes``): when
its deadlines and actions are reminded, and to whom they escalate. The target is the case
type's id (a policy is one row per case type; a type without one uses the fields' defaults,
which are then its values before the first change).

A change weakens protection when a deadline could slip by more quietly: an early reminder
later or none, the reminder on the day or when overdue switched off, an escalation later or
none, or the escalation contact taken away or replaced (a contact who will not act would
silence the last escalation). Those wait for a second administrator.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from cases.models import CaseType
from notifications.models import ReminderPolicy
from permissions.roles import ROLE_NAMES
from permissions.settings_changes import SettingsRefused, Subject, Values
from permissions.settings_changes import settings_row_locked as _locked

REMINDER_FIELDS = (
    "soon_working_days",
    "on_the_day",
    "overdue",
    "escalate_lead_after_days",
    "escalate_contact_after_days",
    "escalation_contact",
)
# The longest each may be: anything longer is a typing mistake, not a policy.
MAX_SOON_DAYS = 10
MAX_ESCALATE_DAYS = 60


def escalation_contacts() -> QuerySet[User]:
    """Who may be a case type's escalation contact: active people who hold a staff role."""
    return (
        User.objects.filter(is_active=True, groups__name__in=ROLE_NAMES)
        .distinct()
        .order_by("username")
    )


def reminder_policy_of(case_type: CaseType) -> ReminderPolicy:
    """The case type's reminder policy: its row, or the defaults it runs on without one
    (``notifications.reminders.policies`` does the same)."""
    found = ReminderPolicy.objects.select_related("escalation_contact").filter(
        case_type_id=case_type.pk
    )
    return found.first() or ReminderPolicy(case_type_id=case_type.pk)


def _values(row: ReminderPolicy) -> Values:
    return {
        name: getattr(row, "escalation_contact_id" if name == "escalation_contact" else name)
        for name in REMINDER_FIELDS
    }


def _current(target_id: int | None) -> Values:
    if target_id is None:
        return {}
    # The case type's row is locked so that two first changes of a type without a policy row
    # are made one after the other.
    _locked(CaseType.objects.all(), target_id)
    row = ReminderPolicy.objects.select_for_update().filter(case_type_id=target_id).first()
    return _values(row or ReminderPolicy(case_type_id=target_id))


def _apply(target_id: int | None, after: Values) -> int:
    if target_id is None:
        raise SettingsRefused("Reminders belong to a kind of report that exists.")
    row = ReminderPolicy.objects.filter(case_type_id=target_id).first()
    row = row or ReminderPolicy(case_type_id=target_id)
    for name in REMINDER_FIELDS:
        setattr(row, "escalation_contact_id" if name == "escalation_contact" else name, after[name])
    try:
        row.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise SettingsRefused(" ".join(error.messages)) from None
    row.save()
    return target_id


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check(target_id: int | None, before: Values, after: Values) -> None:
    if target_id is None:
        raise SettingsRefused("Reminders belong to a kind of report that exists.")
    if set(after) != set(REMINDER_FIELDS):
        raise SettingsRefused("Give every reminder setting.")
    if not _whole(after["soon_working_days"], 0, MAX_SOON_DAYS):
        raise SettingsRefused(f"The early reminder must be 0 to {MAX_SOON_DAYS} working days.")
    if not (isinstance(after["on_the_day"], bool) and isinstance(after["overdue"], bool)):
        raise SettingsRefused("Say yes or no to the reminders on the day and when overdue.")
    for name in ("escalate_lead_after_days", "escalate_contact_after_days"):
        if after[name] is not None and not _whole(after[name], 1, MAX_ESCALATE_DAYS):
            raise SettingsRefused(f"An escalation must be 1 to {MAX_ESCALATE_DAYS} working days.")
    contact = after["escalation_contact"]
    if contact is not None and not escalation_contacts().filter(pk=contact).exists():
        raise SettingsRefused("Choose the escalation contact from the list.")


def _later(before: object, after: object) -> bool:
    """An escalation (days, or ``None`` for never) that comes later or not at all."""
    return isinstance(before, int) and (
        after is None or (isinstance(after, int) and after > before)
    )


def reminders_weaken(before: Values, after: Values) -> str:
    """Whether the policy after lets a deadline slip by more quietly than before; in a few
    words, or ``""``."""
    found = []
    if after.get("soon_working_days", 0) < before.get("soon_working_days", 0):
        found.append("the early reminder comes later or not at all")
    for name, words in (("on_the_day", "on the day"), ("overdue", "when overdue")):
        if before.get(name) and not after.get(name):
            found.append(f"no reminder {words}")
    if _later(before.get("escalate_lead_after_days"), after.get("escalate_lead_after_days")):
        found.append("the triage leads hear later or never")
    if _later(before.get("escalate_contact_after_days"), after.get("escalate_contact_after_days")):
        found.append("the escalation contact hears later or never")
    if before.get("escalation_contact") is not None and before.get(
        "escalation_contact"
    ) != after.get("escalation_contact"):
        found.append("the escalation contact is taken away or replaced")
    if not found:
        return ""
    return "Deadlines could slip by more quietly: " + "; ".join(found) + "."


REMINDERS = Subject(
    key="reminders",
    current=_current,
    apply=_apply,
    weakens=reminders_weaken,
    check=_check,
)

SUBJECTS = (REMINDERS,)
