"""Outcomes as a kind of setting (``permissions.settings_changes``): each ``OutcomeCode`` of a
case type, added, relabelled, reordered, retired and brought back on the settings pages
(docs/decisions/0032-outcomes-and-appeal-decision-makers.md).

What one administrator does alone, and why: adding an outcome, changing its label or its
place, retiring one and bringing it back. None of them changes a case or a count: a case
keeps its code, a retired code keeps its label in the case page and the reports, and a
retired code comes back as it was. What waits for a second administrator: changing whether an
outcome that cases already have counts as substantiated, because that rewrites what the
reports say about cases already decided (the substantiated figure of past periods moves), the
one change here that could quietly hide findings.

What cannot be done at all: changing a code (cases hold it), moving an outcome to another
kind of report, a code or a label used twice in one kind (the reports would show two rows by
one name), and retiring the last outcome offered by a kind whose process records one (its
cases could not be decided; add the new outcome first).
"""

from __future__ import annotations

from cases.models import CaseType, OutcomeCode
from cases.outcomes import outcome_case_count
from permissions.settings_changes import SettingsRefused, Subject, Values
from permissions.settings_changes import settings_row_locked as _locked
from workflows.registry import spec_of
from workflows.settings_subjects import _save, _values
from workflows.spec import Need

OUTCOME_FIELDS = ("case_type", "code", "label", "substantiated", "is_active", "position")


def records_outcomes(case_type: CaseType) -> bool:
    """Whether the case type's process has a step that records an outcome."""
    return any(Need.OUTCOME in step.needs for step in spec_of(case_type.workflow).steps)


def _check(target_id: int | None, before: Values, after: Values) -> None:
    type_id = after.get("case_type")
    case_type = CaseType.objects.filter(pk=type_id).first() if isinstance(type_id, int) else None
    if case_type is None:
        raise SettingsRefused("An outcome belongs to a kind of report that exists.")
    if target_id is not None and before.get("case_type") != type_id:
        raise SettingsRefused("An outcome stays with its kind of report.")
    if target_id is not None and before.get("code") != after.get("code"):
        raise SettingsRefused("An outcome's short name cannot change: cases record it.")
    others = OutcomeCode.objects.filter(case_type_id=type_id)
    if target_id is not None:
        others = others.exclude(pk=target_id)
    if others.filter(code=after.get("code")).exists():
        raise SettingsRefused("That short name is already used by an outcome of this kind.")
    if others.filter(label__iexact=str(after.get("label", "")).strip()).exists():
        raise SettingsRefused("That name is already used by an outcome of this kind.")
    retiring = before.get("is_active", False) and not after.get("is_active")
    if retiring and records_outcomes(case_type) and not others.filter(is_active=True).exists():
        raise SettingsRefused(
            "This is the last outcome offered for this kind of report: its cases could not "
            "record a decision without one. Add the new outcome first, then retire this one."
        )


def outcome_weakens(before: Values, after: Values) -> str:
    """Whether the change rewrites what is said about cases already decided: whether an
    outcome that cases have counts as substantiated. Anything else does not."""
    if not before or bool(before.get("substantiated")) == bool(after.get("substantiated")):
        return ""
    used = outcome_case_count(int(before["case_type"]), str(before["code"]))
    if not used:
        return ""
    cases = "case has" if used == 1 else "cases have"
    return (
        f"It changes whether an outcome that {used} {cases} counts as substantiated, so the "
        "reports of periods already past would say something different."
    )


OUTCOME = Subject(
    key="outcome",
    current=lambda target: _values(_locked(OutcomeCode.objects.all(), target), OUTCOME_FIELDS),
    apply=lambda target, after: _save(
        _locked(OutcomeCode.objects.all(), target) or OutcomeCode(), after
    ),
    weakens=outcome_weakens,
    check=_check,
)
