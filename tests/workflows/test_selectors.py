"""The one case-list read behind the staff list, its export and any later API."""

import pytest

from workflows.selectors import CaseFilters, case_list_for_user


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, CaseFilters()),
        ({"q": " ab-12 ; drop"}, CaseFilters(query="AB-12DROP")),
        ({"q": "x" * 50}, CaseFilters(query="X" * 9)),
        ({"deadline": "yesterday", "sort": "random()"}, CaseFilters()),
        (
            {"deadline": "overdue", "sort": "deadline"},
            CaseFilters(deadline="overdue", sort="deadline"),
        ),
        ({"new": "1", "stage": "s" * 99}, CaseFilters(new=True, stage="s" * 32)),
    ],
)
def test_filters_keep_only_what_a_real_value_can_be(params, expected):
    assert CaseFilters.from_params(params) == expected


def test_the_list_never_widens_what_the_gate_allows(cast):
    everything = CaseFilters(new=True)
    assert list(case_list_for_user(cast.assigned_handler, everything)) == [cast.case]
    assert list(case_list_for_user(cast.unassigned_handler, everything)) == []
    assert list(case_list_for_user(cast.governance_lead, CaseFilters())) == []


def test_new_means_still_at_the_first_state_of_its_workflow(cast):
    from workflows.services import case_transition

    new = CaseFilters(new=True)
    assert list(case_list_for_user(cast.assigned_handler, new)) == [cast.case]
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    assert list(case_list_for_user(cast.assigned_handler, new)) == []
