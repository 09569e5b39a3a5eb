"""Who may manage retention, legal holds and the settings: each predicate against a table
written by hand for every member of the cast, and the gate's lookup of a case by reference for
a hold."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cases.exceptions import CaseNotFound
from permissions.access import case_for_legal_hold
from permissions.models import AccessRefusal
from permissions.predicates import (
    may_configure,
    may_confirm_retention_change,
    may_confirm_settings_change,
    may_hold_cases,
    may_manage_retention,
)

# who: (manage retention, place legal holds)
RETENTION = {
    "triage_lead": (False, False),
    "assigned_handler": (False, False),
    "external_investigator": (False, False),
    "governance_lead": (False, True),
    "administrator": (True, False),
    "superuser": (False, False),
    "conflicted_handler": (False, False),
}


@pytest.mark.parametrize(("who", "expected"), RETENTION.items())
def test_who_manages_retention_and_holds(cast, who, expected):
    user = getattr(cast, who)
    assert (may_manage_retention(user), may_hold_cases(user)) == expected


def test_a_disabled_governance_lead_and_nobody_signed_in_hold_nothing(cast):
    cast.governance_lead.is_active = False
    assert not may_hold_cases(cast.governance_lead)
    assert not may_hold_cases(AnonymousUser())  # type: ignore[arg-type]


def test_only_another_administrator_confirms_a_retention_change(cast, second_administrator):
    proposer = cast.administrator.pk
    assert may_confirm_retention_change(second_administrator, proposed_by_id=proposer)
    assert not may_confirm_retention_change(cast.administrator, proposed_by_id=proposer)
    assert not may_confirm_retention_change(cast.governance_lead, proposed_by_id=proposer)


# who: change the settings (the settings pages, /staff/settings/)
SETTINGS = {
    "triage_lead": False,
    "assigned_handler": False,
    "external_investigator": False,
    "governance_lead": False,
    "administrator": True,
    "superuser": False,
    "conflicted_handler": False,
    "team_handler": False,
}


@pytest.mark.parametrize(("who", "expected"), SETTINGS.items())
def test_who_changes_the_settings(cast, who, expected):
    assert may_configure(getattr(cast, who)) is expected


def test_a_disabled_administrator_and_nobody_signed_in_change_no_setting(cast):
    assert not may_configure(AnonymousUser())  # type: ignore[arg-type]
    cast.administrator.is_active = False
    assert not may_configure(cast.administrator)


def test_only_another_administrator_confirms_a_settings_change(cast, second_administrator):
    proposer = cast.administrator.pk
    assert may_confirm_settings_change(second_administrator, proposed_by_id=proposer)
    assert not may_confirm_settings_change(cast.administrator, proposed_by_id=proposer)
    assert not may_confirm_settings_change(cast.governance_lead, proposed_by_id=proposer)


def test_a_governance_lead_finds_a_case_by_its_reference_for_a_hold(cast):
    reference = cast.case.reference
    assert case_for_legal_hold(cast.governance_lead, f"  {reference.lower()} ") == cast.case


@pytest.mark.parametrize(
    ("who", "reference"),
    [
        ("governance_lead", "NOT-THERE"),
        ("governance_lead", ""),
        ("governance_lead", "X" * 30),
        ("governance_lead", None),
        ("administrator", "REAL"),
        ("assigned_handler", "REAL"),
    ],
)
def test_anyone_else_or_a_bad_reference_gets_not_found_and_a_refusal(cast, who, reference):
    typed = cast.case.reference if reference == "REAL" else reference
    with pytest.raises(CaseNotFound):
        case_for_legal_hold(getattr(cast, who), typed)
    assert AccessRefusal.objects.filter(action="legal_hold").count() == 1
