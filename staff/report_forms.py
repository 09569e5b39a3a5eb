"""The report form: which period, which case types, which unit. One form, read from the
query string, because running a report changes nothing (its audit event aside)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from cases.models import CaseType, OrganisationalUnit
from reports.selectors import Period

ALL_TYPES = "all"


class ReportForm(forms.Form):
    grain = forms.ChoiceField(
        label="Period",
        choices=[("quarter", "Quarter"), ("month", "Month"), ("year", "Year")],
        error_messages={
            "required": "Choose a month, quarter or year.",
            "invalid_choice": "Choose a month, quarter or year.",
        },
    )
    year = forms.IntegerField(
        label="Year",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "Enter a year, like 2026.",
            "invalid": "Enter a year, like 2026.",
            "min_value": "Enter a year from 2000.",
            "max_value": "Enter a real year, like 2026.",
        },
    )
    number = forms.IntegerField(
        label="Quarter (1 to 4) or month (1 to 12)",
        required=False,
        error_messages={"invalid": "Enter the quarter as 1 to 4, or the month as 1 to 12."},
    )
    case_type = forms.ChoiceField(label="Kind of report", required=False)
    unit = forms.ChoiceField(label="Organisational unit", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = CaseType.objects.order_by("position", "name").values_list("pk", "name")
        self.fields["case_type"].choices = [  # type: ignore[attr-defined]
            (ALL_TYPES, "Every kind, side by side"),
            *((str(pk), name) for pk, name in types),
        ]
        units = OrganisationalUnit.objects.order_by("name").values_list("pk", "name")
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", "The whole organisation"),
            *((str(pk), name) for pk, name in units),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        grain, year, number = data.get("grain"), data.get("year"), data.get("number")
        if grain is None or year is None:
            return data
        limit = {"month": 12, "quarter": 4, "year": 1}[grain]
        if grain == "year":
            number = 1
        if number is None or not 1 <= number <= limit:
            what = "month as 1 to 12" if grain == "month" else "quarter as 1 to 4"
            self.add_error("number", f"Enter the {what}.")
            return data
        period = Period.of(grain, year, number)
        if period.start > timezone.localdate():
            self.add_error("year", "That period has not started yet.")
            return data
        data["period"] = period
        return data

    def case_type_ids(self) -> list[int]:
        chosen = self.cleaned_data.get("case_type") or ALL_TYPES
        if chosen == ALL_TYPES:
            return [pk for pk in CaseType.objects.values_list("pk", flat=True)]
        return [int(chosen)]

    def unit_id(self) -> int | None:
        chosen = self.cleaned_data.get("unit")
        return int(chosen) if chosen else None


def default_data() -> dict[str, str]:
    """The latest whole quarter, every kind of report, the whole organisation."""
    period = Period.latest_complete("quarter")
    return {
        "grain": "quarter",
        "year": str(period.start.year),
        "number": str((period.start.month - 1) // 3 + 1),
        "case_type": ALL_TYPES,
        "unit": "",
    }
