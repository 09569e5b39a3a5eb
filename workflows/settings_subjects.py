"""The case type settings as kinds of setting (``permissions.settings_changes``): a case type
(name, intro, workflow, open or not), its reporting levels, its deadlines, its categories, and
the organisational units. Each reads its row's values, makes new ones, and says when a change
weakens protection: a deadline that is removed, made longer or counted on a different calendar
(the reporter waits longer for an answer the law or the policy promised), and a reporting
level opened that lets reporters give their name (confidential or named) where they could not.
A new case type offers anonymous reporting only: any other level is opened afterwards, by two
administrators.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from cases.models import (
    LEVELS_OFFERED,
    CaseType,
    Category,
    OrganisationalUnit,
    ReportingLevel,
    ReportingLevels,
)
from cases.selectors import case_count
from permissions.settings_changes import SettingsRefused, Subject, Values
from permissions.settings_changes import settings_row_locked as _locked
from workflows.registry import spec_of, specs

CASE_TYPE_FIELDS = ("slug", "name", "name_cy", "description", "description_cy", "workflow")
CASE_TYPE_FIELDS_ALL = (*CASE_TYPE_FIELDS, "is_active", "position")
CLOCK_FIELDS = (
    "acknowledge_within_days",
    "feedback_within_days",
    "feedback_within_months",
    "deadlines_in_working_days",
    "stage_limits",
)
CATEGORY_FIELDS = ("case_type", "slug", "name", "name_cy", "is_active")
UNIT_FIELDS = ("slug", "name", "name_cy", "parent", "is_active")


def _values(row: models.Model | None, fields: tuple[str, ...]) -> Values:
    if row is None:
        return {}
    values: Values = {}
    for name in fields:
        # A foreign key as its id.
        values[name] = getattr(row, getattr(row._meta.get_field(name), "attname", name))
    return values


def _save(row: models.Model, after: Values) -> int:
    for name, value in after.items():
        setattr(row, getattr(row._meta.get_field(name), "attname", name), value)
    try:
        row.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise SettingsRefused(" ".join(error.messages)) from None
    row.save()
    return int(row.pk)


# --- Case types -------------------------------------------------------------------------------


def _case_type_check(target_id: int | None, before: Values, after: Values) -> None:
    if after.get("workflow") not in {spec.key for spec in specs()}:
        raise SettingsRefused("Choose a process from the list.")
    # The reporting levels change on their own (``REPORTING_LEVELS``), where opening one waits
    # for a second administrator; a new kind of report starts with the fewest.
    if target_id is not None and "reporting_levels" in after:
        raise SettingsRefused("Change the reporting levels on their own page.")
    if target_id is None and after.get("reporting_levels") != ReportingLevels.ANONYMOUS:
        raise SettingsRefused(
            "A new kind of report offers anonymous reporting only; open other levels on its "
            "page once it is made."
        )
    if (
        target_id is not None
        and not spec_of(after["workflow"]).investigates
        and CaseType.objects.get(pk=target_id).reporting_levels != ReportingLevels.ANONYMOUS
    ):
        raise SettingsRefused(
            "A kind of report counted for trends only offers anonymous reporting only: make "
            "its reporting levels anonymous only first."
        )
    if (
        target_id is not None
        and before.get("workflow") != after.get("workflow")
        and case_count(case_type=CaseType.objects.get(pk=target_id))
    ):
        # Its cases are in the states of the process they were filed under.
        raise SettingsRefused(
            "This kind of report already has cases, so its process cannot change. Make a new "
            "kind of report with the other process, and close this one."
        )


def _case_type_apply(target_id: int | None, after: Values) -> int:
    return _save(_locked(CaseType.objects.all(), target_id) or CaseType(), after)


CASE_TYPE = Subject(
    key="case_type",
    current=lambda target: _values(_locked(CaseType.objects.all(), target), CASE_TYPE_FIELDS_ALL),
    apply=_case_type_apply,
    check=_case_type_check,
)


# --- Reporting levels -------------------------------------------------------------------------

# The levels that let a reporter give their name: opening one where it was not offered
# weakens protection (decision 0031; issue 16 asks for a second person).
IDENTIFYING_LEVELS = (ReportingLevel.CONFIDENTIAL, ReportingLevel.NAMED)


def levels_weaken(before: Values, after: Values) -> str:
    """Whether the reporting levels after let reporters give their name in a way they could
    not before: confidential or named newly offered. Taking a level away, or keeping the same
    ones, is not (a reporter can always stay anonymous)."""
    old = LEVELS_OFFERED.get(before.get("reporting_levels", ""), ())
    new = LEVELS_OFFERED.get(after.get("reporting_levels", ""), ())
    opened = [level for level in IDENTIFYING_LEVELS if level in new and level not in old]
    if not opened:
        return ""
    words = " and ".join(str(level.label).lower() for level in opened)
    return f"It opens {words} reporting: reporters could give their name where they could not."


def _levels_check(target_id: int | None, before: Values, after: Values) -> None:
    if target_id is None:
        raise SettingsRefused("Reporting levels belong to a kind of report that exists.")
    if set(after) != {"reporting_levels"}:
        raise SettingsRefused("Only the reporting levels change here.")
    if after["reporting_levels"] not in ReportingLevels.values:
        raise SettingsRefused("Choose the reporting levels from the list.")
    case_type = CaseType.objects.get(pk=target_id)
    if after["reporting_levels"] != ReportingLevels.ANONYMOUS and not (
        spec_of(case_type.workflow).investigates
    ):
        # Nobody contacts the reporter or handles the report as theirs: a name has no use.
        raise SettingsRefused(
            "A kind of report counted for trends only asks nobody's name: it offers anonymous "
            "reporting only."
        )


REPORTING_LEVELS = Subject(
    key="reporting_levels",
    current=lambda target: _values(_locked(CaseType.objects.all(), target), ("reporting_levels",)),
    apply=lambda target, after: _save(_locked(CaseType.objects.all(), target) or CaseType(), after),
    weakens=levels_weaken,
    check=_levels_check,
)


# --- Deadlines --------------------------------------------------------------------------------


def clock_periods(values: Values) -> dict[str, tuple[int, str]]:
    """Each deadline the values set, as (amount, calendar): ``acknowledge``, ``feedback`` and
    ``stage:<state>``; calendars ``days``, ``working_days`` or ``months``."""
    found: dict[str, tuple[int, str]] = {}
    days_kind = "working_days" if values.get("deadlines_in_working_days") else "days"
    if values.get("acknowledge_within_days"):
        found["acknowledge"] = (values["acknowledge_within_days"], days_kind)
    if values.get("feedback_within_months"):
        found["feedback"] = (values["feedback_within_months"], "months")
    elif values.get("feedback_within_days"):
        found["feedback"] = (values["feedback_within_days"], days_kind)
    for stage, limit in (values.get("stage_limits") or {}).items():
        if isinstance(limit, dict) and isinstance(limit.get("days"), int) and limit["days"] > 0:
            found[f"stage:{stage}"] = (
                limit["days"],
                "working_days" if limit.get("working") else "days",
            )
    return found


def clocks_weaken(before: Values, after: Values) -> str:
    """Whether the deadlines after give the organisation longer than before: a deadline
    removed, longer, or counted on another calendar (a working day is longer than a calendar
    day, and a month is neither). A new or shorter deadline on the same calendar is not."""
    old, new = clock_periods(before), clock_periods(after)
    weaker = [
        name
        for name, (amount, calendar) in old.items()
        if name not in new or new[name][1] != calendar or new[name][0] > amount
    ]
    if not weaker:
        return ""
    return (
        "It removes, lengthens or changes the calendar of a deadline ("
        + ", ".join(sorted(weaker))
        + ")."
    )


def _clocks_check(target_id: int | None, before: Values, after: Values) -> None:
    if target_id is None:
        raise SettingsRefused("Deadlines belong to a kind of report that exists.")
    case_type = CaseType.objects.get(pk=target_id)
    stages = set(stage_names(case_type.workflow))
    unknown = set(after.get("stage_limits") or {}) - stages
    if unknown:
        raise SettingsRefused("A time limit names a stage this process does not have.")


def stage_names(workflow: str) -> list[str]:
    """The stages of a process that can have a time limit: every state a step enters that
    is not closed (the first state is timed by the acknowledgement)."""
    spec = spec_of(workflow)
    targets = {step.target for step in spec.steps}
    return [
        state.name
        for state in spec.states
        if state.name in targets and not state.closed and state.name != spec.initial
    ]


CLOCKS = Subject(
    key="clocks",
    current=lambda target: _values(_locked(CaseType.objects.all(), target), CLOCK_FIELDS),
    apply=lambda target, after: _save(_locked(CaseType.objects.all(), target) or CaseType(), after),
    weakens=clocks_weaken,
    check=_clocks_check,
)


# --- Categories and units -----------------------------------------------------------------------


def _category_check(target_id: int | None, before: Values, after: Values) -> None:
    if target_id is not None and before.get("case_type") != after.get("case_type"):
        raise SettingsRefused("A category stays with its kind of report.")
    taken = Category.objects.filter(case_type_id=after.get("case_type"), slug=after.get("slug"))
    if target_id is not None:
        taken = taken.exclude(pk=target_id)
    if taken.exists():
        raise SettingsRefused("That short name is already used by a category of this kind.")


CATEGORY = Subject(
    key="category",
    current=lambda target: _values(_locked(Category.objects.all(), target), CATEGORY_FIELDS),
    apply=lambda target, after: _save(_locked(Category.objects.all(), target) or Category(), after),
    check=_category_check,
)


def unit_ancestors(parent_id: int | None) -> list[int]:
    """The ids from ``parent_id`` up to the top of the tree (cycles stop the walk)."""
    parents: dict[int, Any] = dict(OrganisationalUnit.objects.values_list("pk", "parent_id"))
    found: list[int] = []
    while parent_id is not None and parent_id not in found:
        found.append(parent_id)
        parent_id = parents.get(parent_id)
    return found


def _unit_check(target_id: int | None, before: Values, after: Values) -> None:
    parent = after.get("parent")
    if parent is not None and not OrganisationalUnit.objects.filter(pk=parent).exists():
        raise SettingsRefused("Choose a unit from the list as its parent.")
    if target_id is not None and target_id in unit_ancestors(parent):
        raise SettingsRefused("A unit cannot sit inside itself or one of its own units.")
    taken = OrganisationalUnit.objects.filter(slug=after.get("slug"))
    if target_id is not None:
        taken = taken.exclude(pk=target_id)
    if taken.exists():
        raise SettingsRefused("That short name is already used by another unit.")


UNIT = Subject(
    key="unit",
    current=lambda target: _values(_locked(OrganisationalUnit.objects.all(), target), UNIT_FIELDS),
    apply=lambda target, after: _save(
        _locked(OrganisationalUnit.objects.all(), target) or OrganisationalUnit(), after
    ),
    check=_unit_check,
)

SUBJECTS = (CASE_TYPE, REPORTING_LEVELS, CLOCKS, CATEGORY, UNIT)
