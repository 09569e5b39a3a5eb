"""Staff forms. Choices are limited to people who may take the action; services re-check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.models import User

from cases.models import Case, Category
from notifications.models import EmailChoice
from permissions.models import ExclusionKind
from permissions.roles import APPEAL_ACCESS_DAYS
from permissions.selectors import (
    people_assignable,
    people_excludable,
    people_for_appeal,
    people_working_on,
    person_label,
)
from workflows.clocks import clocks_of
from workflows.models import Clock
from workflows.services import SUPPORT_PARTIES


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label="Assign to")
    expires_on = forms.DateField(
        required=False,
        label="Access ends on (external investigators only)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        # Excluded people are left out of the choice; the service refuses them regardless.
        field.queryset = people_assignable(case)  # type: ignore[attr-defined]


class _DeciderChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return person_label(obj, ())


class DeciderForm(forms.Form):
    """Who decides the case's appeal, and the last day of their access (decision 0032). Only
    people from the pool who took no part in the case are offered; the service re-checks."""

    decider = _DeciderChoice(
        queryset=User.objects.none(),
        label="Appeal decision-maker",
        error_messages={
            "required": "Choose who decides the appeal.",
            "invalid_choice": "Choose someone from the list: only appeal decision-makers who "
            "took no part in this case can decide its appeal.",
        },
    )
    until = forms.DateField(
        label=f"Access ends on (at most {APPEAL_ACCESS_DAYS} days from today)",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the last day of their access.",
            "invalid": "Give the last day of their access as a date.",
        },
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decider"].queryset = people_for_appeal(case)  # type: ignore[attr-defined]


class ExcludeForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Person to exclude")
    kind = forms.ChoiceField(
        choices=[
            (ExclusionKind.SUBJECT.value, ExclusionKind.SUBJECT.label),
            (ExclusionKind.NAMED_BY_REPORTER.value, ExclusionKind.NAMED_BY_REPORTER.label),
        ],
        label="Why",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        # People whose role could bring them to the case, not every member of staff.
        field.queryset = people_excludable(case)  # type: ignore[attr-defined]


class RecuseForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why you are stepping aside",
    )


# --- Recording on a case: one form per operation, each posted to its own URL -----------------


class CategoryForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        error_messages={"required": "Choose a category.", "invalid_choice": "Choose a category."},
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.queryset = case.case_type.categories.filter(is_active=True)  # type: ignore[attr-defined]


class RedactionForm(forms.Form):
    """One text box per answer of the report, named ``redacted_<key>``; empty is allowed."""

    def __init__(self, *args: Any, keys: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = list(keys)
        for key in self.keys:
            self.fields[f"redacted_{key}"] = forms.CharField(
                required=False, strip=False, widget=forms.Textarea
            )

    def answers(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"redacted_{key}"] for key in self.keys}


class ActionForm(forms.Form):
    title = forms.CharField(max_length=500, error_messages={"required": "Give the action."})
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": "An action can only be given to someone working on the case."
        },
    )
    due_on = forms.DateField(
        required=False, error_messages={"invalid": "Give the due date as a date."}
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service refuses anyone else too; here a forged owner is simply not a choice.
        self.fields["owner"].queryset = people_working_on(case)  # type: ignore[attr-defined]


class ActionDoneForm(forms.Form):
    action = forms.UUIDField(
        error_messages={
            "required": "That action is not on this case.",
            "invalid": "That action is not on this case.",
        }
    )


DEADLINE_CHANGES = (("pause", "Pause"), ("resume", "Resume"), ("extend", "Extend"))


class DeadlineForm(forms.Form):
    # Which deadline: its id on the page, or the kind for the acknowledgement and feedback ones.
    clock = forms.CharField(max_length=64)
    change = forms.ChoiceField(
        choices=DEADLINE_CHANGES,
        error_messages={
            "required": "Choose how to change the deadline.",
            "invalid_choice": "Choose how to change the deadline.",
        },
    )
    days = forms.IntegerField(required=False, min_value=1, max_value=365)
    reason = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_clock(self) -> Clock:
        wanted = self.cleaned_data["clock"]
        clock = next(
            (
                c
                for c in clocks_of(self.case)
                if str(c.pk) == wanted or (c.kind == wanted and not c.stage)
            ),
            None,
        )
        if clock is None:
            raise forms.ValidationError("There is no such deadline on this case.")
        return clock


class PoliceReferralForm(forms.Form):
    on = forms.DateField(
        error_messages={
            "required": "Give the date of the referral.",
            "invalid": "Give the date of the referral.",
        }
    )


class SupportForm(forms.Form):
    party = forms.ChoiceField(
        choices=[(party, party) for party in SUPPORT_PARTIES],
        error_messages={
            "required": "Choose who was offered support.",
            "invalid_choice": "Choose who was offered support.",
        },
    )


class AttentionDealtWithForm(forms.Form):
    """Nothing to fill in: the button says what is recorded."""


class MessageShareForm(forms.Form):
    """Share a message or note with the case's investigators: an optional redacted copy."""

    redacted = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea,
        error_messages={"max_length": "The redacted copy is at most 20,000 characters."},
    )


class EvidenceShareForm(forms.Form):
    """Share an evidence file with the case's investigators: an optional redacted name."""

    redacted = forms.CharField(
        required=False,
        max_length=255,
        error_messages={"max_length": "A file name is at most 255 characters."},
    )


def form_problem(form: forms.Form) -> str:
    """The first problem with a bound, invalid form, as a sentence for the page."""
    for errors in form.errors.values():
        return str(errors[0])
    return "That could not be recorded."  # pragma: no cover  (an invalid form has an error)


# --- Notifications (notifications/) ---------------------------------------------------------


class NotificationReadForm(forms.Form):
    notification = forms.IntegerField(
        min_value=1, max_value=2**63 - 1, error_messages={"required": "Choose a notification."}
    )


class NotificationsAllReadForm(forms.Form):
    """No fields: the button is the whole form (and the CSRF token)."""


class EmailChoiceForm(forms.Form):
    email = forms.ChoiceField(
        label="How do you want to hear by e-mail?",
        choices=EmailChoice.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how you want to hear by e-mail.",
            "invalid_choice": "Choose how you want to hear by e-mail.",
        },
    )


def email_choice_form(user: User) -> EmailChoiceForm:
    """The e-mail choice form, showing ``user``'s current choice."""
    from notifications.selectors import email_choice_of

    return EmailChoiceForm(initial={"email": email_choice_of(user)})
