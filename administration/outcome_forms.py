"""The outcome settings form (docs/decisions/0032-outcomes-and-appeal-decision-makers.md): it
checks what was typed and says plainly what is wrong, and changes nothing itself."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from administration.forms import _text, _yes_no
from cases.models import CaseType, OutcomeCode

CODE = RegexValidator(
    r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
    "Use lower-case letters, numbers and single hyphens or underscores only, like "
    "censure-with-consent.",
)


class OutcomeForm(forms.Form):
    label = _text(
        "Name", help_text="What handlers choose and the reports show, like Censure with consent."
    )
    code = forms.CharField(
        label="Short name",
        max_length=32,
        validators=[CODE],
        help_text="Lower-case letters, numbers and hyphens. Cases record it, so it cannot "
        "change later.",
        error_messages={
            "required": "Enter a short name.",
            "max_length": "The short name must be 32 characters or fewer.",
        },
    )
    substantiated = _yes_no(
        "Counts as substantiated in the reports",
        "Whether the concern was found true, in whole or in part, when a case ends this way.",
    )
    position = forms.IntegerField(
        label="Place in the list",
        min_value=0,
        max_value=999,
        required=False,
        help_text="Lower numbers come first.",
        error_messages={
            "invalid": "The place must be a whole number, like 1.",
            "min_value": "The place must be 0 or more.",
            "max_value": "The place must be 999 or fewer.",
        },
    )

    def __init__(
        self, *args: Any, case_type: CaseType, outcome: OutcomeCode | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case_type, self.outcome = case_type, outcome
        if outcome is not None:
            del self.fields["code"]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if OutcomeCode.objects.filter(case_type=self.case_type, code=code).exists():
            raise ValidationError("That short name is already used by an outcome of this kind.")
        return code

    def clean_label(self) -> str:
        label: str = self.cleaned_data["label"].strip()
        others = OutcomeCode.objects.filter(case_type=self.case_type, label__iexact=label)
        if self.outcome is not None:
            others = others.exclude(pk=self.outcome.pk)
        if others.exists():
            raise ValidationError("That name is already used by an outcome of this kind.")
        return label

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "case_type": self.case_type.pk,
            "code": self.outcome.code if self.outcome else data["code"],
            "label": data["label"],
            "substantiated": data["substantiated"] == "yes",
            "is_active": self.outcome.is_active if self.outcome else True,
            "position": data["position"] or 0,
        }


def outcome_values(outcome: OutcomeCode, **changed: Any) -> dict[str, Any]:
    """An outcome's values as a settings change holds them, with ``changed`` applied."""
    return {
        "case_type": outcome.case_type_id,
        "code": outcome.code,
        "label": outcome.label,
        "substantiated": outcome.substantiated,
        "is_active": outcome.is_active,
        "position": outcome.position,
        **changed,
    }
