"""Reads of the outcomes a case can end with (``OutcomeCode``: administrator-managed, per case
type; docs/decisions/0032-outcomes-and-appeal-decision-makers.md).

A case keeps its outcome as a code. These turn codes into what people read, and say which
codes a step may record now: only the active codes of the case's own type. A retired code is
no longer offered, but cases that have it keep it and are still named and counted by its
label. Writes go through the settings pages (``workflows.outcome_settings``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import Case, OutcomeCode

NO_OUTCOME = "No outcome recorded"


@dataclass(frozen=True)
class OutcomeName:
    label: str
    position: int
    substantiated: bool


def outcomes_offered(case_type_id: int) -> list[tuple[str, str]]:
    """The (code, label) of each outcome a step may record on a case of this type, in the
    administrators' order: the active codes only. One query."""
    return list(
        OutcomeCode.objects.filter(case_type_id=case_type_id, is_active=True)
        .order_by("position", "label")
        .values_list("code", "label")
    )


def outcome_offered(case_type_id: int, code: str) -> bool:
    """Whether ``code`` is an active outcome of this case type (what a step may record)."""
    return OutcomeCode.objects.filter(case_type_id=case_type_id, code=code, is_active=True).exists()


def outcome_label(case: Case) -> str:
    """The case's outcome as staff read it: its code's label (retired codes too), the code
    itself if no row names it, or ``""`` when there is none."""
    if not case.outcome:
        return ""
    label = (
        OutcomeCode.objects.filter(case_type_id=case.case_type_id, code=case.outcome)
        .values_list("label", flat=True)
        .first()
    )
    return label or case.outcome


def outcome_names(case_type_ids: tuple[int, ...]) -> dict[tuple[int, str], OutcomeName]:
    """Every outcome of these case types, retired ones included, by (case type id, code): what
    the reports name and order the outcomes they count by. One query."""
    rows = OutcomeCode.objects.filter(case_type_id__in=case_type_ids).values_list(
        "case_type_id", "code", "label", "position", "substantiated"
    )
    return {
        (type_id, code): OutcomeName(label, position, substantiated)
        for type_id, code, label, position, substantiated in rows
    }


def outcome_case_count(case_type_id: int, code: str) -> int:
    """How many cases of this type have ``code`` as their outcome (purged stubs included):
    whether a change to the code would change what existing cases and reports say."""
    return Case.objects.filter(case_type_id=case_type_id, outcome=code).count()
