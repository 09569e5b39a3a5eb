"""Staff forms. Choices are limited to people who may take the action; services re-check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from cases.models import Case
from permissions.models import ExclusionKind
from permissions.selectors import people_assignable, people_excludable


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
