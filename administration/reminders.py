"""A kind of report's reminder policy on the settings pages: the form and the policy in words.
When its deadlines and actions are reminded, and to whom they escalate
(``notifications.settings_subjects``: a change that lets a deadline slip by more quietly waits
for a second administrator). Retention has its own page and two-person record
(``staff.retention_views``), linked from the kind's page.
"""

from __future__ import annotations

from typing import Any

from django import forms

from administration.forms import _whole, _yes_no
from cases.models import CaseType
from notifications.settings_subjects import (
    MAX_SOON_DAYS,
    escalation_contacts,
    reminder_policy_of,
)
from permissions.selectors import person_label


class RemindersForm(forms.Form):
    soon_working_days = forms.IntegerField(
        label="Remind this many working days before the due day",
        min_value=0,
        max_value=MAX_SOON_DAYS,
        help_text="0: no early reminder.",
        error_messages={
            "required": "Enter how many working days before the due day to remind, or 0.",
            "invalid": "The early reminder must be a whole number of days, like 2.",
            "min_value": "The early reminder must be 0 or more.",
            "max_value": f"The early reminder must be {MAX_SOON_DAYS} working days or fewer.",
        },
    )
    on_the_day = _yes_no("Remind on the due day")
    overdue = _yes_no("Remind once when overdue")
    escalate_lead_after_days = _whole(
        "Tell the triage leads after",
        maximum=60,
        help_text="Working days overdue. Leave empty: never.",
    )
    escalate_contact_after_days = _whole(
        "Then tell the escalation contact after",
        maximum=60,
        help_text="Working days overdue. Leave empty: never.",
    )
    escalation_contact = forms.ChoiceField(
        label="Escalation contact",
        required=False,
        help_text="Who hears of deadlines long overdue, after the triage leads. They are told "
        "that something is overdue, never what.",
        error_messages={"invalid_choice": "Choose the escalation contact from the list."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = escalation_contacts().prefetch_related("groups")
        self.fields["escalation_contact"].choices = [("", "Nobody")] + [  # type: ignore[attr-defined]
            (str(p.pk), person_label(p, (g.name for g in p.groups.all()))) for p in people
        ]

    @staticmethod
    def initial_for(case_type: CaseType) -> dict[str, Any]:
        policy = reminder_policy_of(case_type)
        return {
            "soon_working_days": policy.soon_working_days,
            "on_the_day": "yes" if policy.on_the_day else "no",
            "overdue": "yes" if policy.overdue else "no",
            "escalate_lead_after_days": policy.escalate_lead_after_days,
            "escalate_contact_after_days": policy.escalate_contact_after_days,
            "escalation_contact": str(policy.escalation_contact_id or ""),
        }

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "soon_working_days": data["soon_working_days"],
            "on_the_day": data["on_the_day"] == "yes",
            "overdue": data["overdue"] == "yes",
            "escalate_lead_after_days": data["escalate_lead_after_days"],
            "escalate_contact_after_days": data["escalate_contact_after_days"],
            "escalation_contact": int(data["escalation_contact"])
            if data["escalation_contact"]
            else None,
        }


def reminder_rows(case_type: CaseType) -> list[tuple[str, str]]:
    """The kind's reminder policy in words, for its page."""
    policy = reminder_policy_of(case_type)

    def days(value: int | None) -> str:
        return f"After {value} working days overdue" if value else "Never"

    contact = policy.escalation_contact
    return [
        (
            "Early reminder",
            f"{policy.soon_working_days} working days before"
            if policy.soon_working_days
            else "None",
        ),
        ("On the due day", "Yes" if policy.on_the_day else "No"),
        ("When overdue", "Yes" if policy.overdue else "No"),
        ("Tell the triage leads", days(policy.escalate_lead_after_days)),
        ("Tell the escalation contact", days(policy.escalate_contact_after_days)),
        ("Escalation contact", contact.get_username() if contact else "Nobody"),
    ]
