"""The settings changes: one record and one staff event per change, with the values before and
after; a change that weakens protection waits for a second administrator; which changes
weaken, as tables written by hand."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from cases.models import CaseType
from intake.settings_subjects import networks_weaken
from permissions.models import SettingsChange, SettingsStatus, StaffEvent
from permissions.settings_changes import (
    SettingsRefused,
    settings_change_close,
    settings_change_confirm,
    settings_change_make,
    settings_digest,
)
from workflows.settings_subjects import clocks_weaken

BASE = {
    "acknowledge_within_days": 7,
    "feedback_within_days": None,
    "feedback_within_months": 3,
    "deadlines_in_working_days": False,
    "stage_limits": {"assessment": {"days": 10, "working": True}},
}

# (what changes, does it weaken?)
CLOCK_CHANGES = [
    ({}, False),
    ({"acknowledge_within_days": 5}, False),
    ({"acknowledge_within_days": 8}, True),
    ({"acknowledge_within_days": None}, True),
    ({"deadlines_in_working_days": True}, True),  # 7 working days are longer than 7 days
    ({"feedback_within_months": 2}, False),
    ({"feedback_within_months": 4}, True),
    ({"feedback_within_months": None, "feedback_within_days": 60}, True),  # another calendar
    ({"feedback_within_months": None}, True),
    ({"stage_limits": {"assessment": {"days": 9, "working": True}}}, False),
    ({"stage_limits": {"assessment": {"days": 11, "working": True}}}, True),
    ({"stage_limits": {"assessment": {"days": 10, "working": False}}}, True),
    ({"stage_limits": {}}, True),
    (
        {
            "stage_limits": {
                "assessment": {"days": 10, "working": True},
                "investigation": {"days": 30, "working": False},
            }
        },
        False,
    ),
]


@pytest.mark.parametrize(("change", "weakens"), CLOCK_CHANGES)
def test_which_deadline_changes_weaken_protection(change, weakens):
    assert bool(clocks_weaken(BASE, {**BASE, **change})) is weakens


def test_a_first_deadline_weakens_nothing():
    assert clocks_weaken({}, BASE) == ""


# (ranges before, ranges after, does it weaken?)
NETWORK_CHANGES = [
    ("", "10.0.0.0/8", False),
    ("10.0.0.0/8", "10.0.0.0/8\n192.168.0.0/16", False),
    ("10.1.0.0/16", "10.0.0.0/8", False),  # widened: still covered
    ("10.0.0.0/8", "10.1.0.0/16", True),  # narrowed
    ("10.0.0.0/8\n192.168.0.0/16", "10.0.0.0/8", True),
    ("10.0.0.0/8", "", True),
    ("2001:db8::/32", "2001:db8::/16", False),
    ("2001:db8::/32", "10.0.0.0/8", True),
]


@pytest.mark.parametrize(("before", "after", "weakens"), NETWORK_CHANGES)
def test_which_network_changes_weaken_protection(before, after, weakens):
    result = networks_weaken({"corporate_networks": before}, {"corporate_networks": after})
    assert bool(result) is weakens


def _clocks(case_type: CaseType, **change: object) -> dict[str, object]:
    values = {
        "acknowledge_within_days": case_type.acknowledge_within_days,
        "feedback_within_days": case_type.feedback_within_days,
        "feedback_within_months": case_type.feedback_within_months,
        "deadlines_in_working_days": case_type.deadlines_in_working_days,
        "stage_limits": case_type.stage_limits,
    }
    return {**values, **change}


def test_a_change_that_weakens_nothing_is_made_at_once_and_recorded_once(cast):
    case_type = cast.case_type
    change = settings_change_make(
        actor=cast.administrator,
        subject="clocks",
        target_id=case_type.pk,
        after=_clocks(case_type, acknowledge_within_days=5),
    )
    case_type.refresh_from_db()
    assert case_type.acknowledge_within_days == 5
    assert change.status == SettingsStatus.MADE
    assert change.before["acknowledge_within_days"] == 7
    assert change.after["acknowledge_within_days"] == 5
    events = list(StaffEvent.objects.filter(code__startswith="settings."))
    assert [e.code for e in events] == ["settings.changed"]
    assert events[0].actor == cast.administrator
    assert events[0].payload == {
        "subject": "clocks",
        "target": case_type.pk,
        "change": change.pk,
        "digest": settings_digest(change),
    }


def test_a_weakening_change_waits_for_a_second_administrator(cast, second_administrator):
    case_type = cast.case_type
    change = settings_change_make(
        actor=cast.administrator,
        subject="clocks",
        target_id=case_type.pk,
        after=_clocks(case_type, acknowledge_within_days=30),
    )
    case_type.refresh_from_db()
    assert (change.status, case_type.acknowledge_within_days) == (SettingsStatus.PENDING, 7)
    with pytest.raises(SettingsRefused, match="second administrator"):
        settings_change_confirm(change=change, actor=cast.administrator)
    with pytest.raises(SettingsRefused):
        settings_change_confirm(change=change, actor=cast.governance_lead)
    settings_change_confirm(change=change, actor=second_administrator)
    case_type.refresh_from_db()
    change.refresh_from_db()
    assert case_type.acknowledge_within_days == 30
    assert (change.status, change.confirmed_by) == (SettingsStatus.CONFIRMED, second_administrator)
    codes = list(
        StaffEvent.objects.filter(code__startswith="settings.").values_list("code", flat=True)
    )
    assert codes == ["settings.proposed", "settings.confirmed"]
    with pytest.raises(SettingsRefused, match="already been decided"):
        settings_change_close(change=change, actor=second_administrator)


def test_a_proposal_made_stale_by_another_change_is_refused(cast, second_administrator):
    case_type = cast.case_type
    longer = settings_change_make(
        actor=cast.administrator,
        subject="clocks",
        target_id=case_type.pk,
        after=_clocks(case_type, acknowledge_within_days=30),
    )
    settings_change_make(
        actor=cast.administrator,
        subject="clocks",
        target_id=case_type.pk,
        after=_clocks(case_type, acknowledge_within_days=5),
    )
    with pytest.raises(SettingsRefused, match="changed since"):
        settings_change_confirm(change=longer, actor=second_administrator)
    case_type.refresh_from_db()
    assert case_type.acknowledge_within_days == 5


def test_withdrawn_by_its_proposer_and_declined_by_another(cast, second_administrator):
    case_type = cast.case_type
    made = [
        settings_change_make(
            actor=cast.administrator,
            subject="clocks",
            target_id=case_type.pk,
            after=_clocks(case_type, acknowledge_within_days=days),
        )
        for days in (20, 30)
    ]
    assert settings_change_close(change=made[0], actor=cast.administrator).status == "withdrawn"
    assert settings_change_close(change=made[1], actor=second_administrator).status == "declined"
    case_type.refresh_from_db()
    assert case_type.acknowledge_within_days == 7


@pytest.mark.parametrize("who", ["governance_lead", "assigned_handler", "triage_lead", "superuser"])
def test_nobody_but_an_administrator_changes_a_setting(cast, who):
    with pytest.raises(SettingsRefused):
        settings_change_make(
            actor=getattr(cast, who),
            subject="clocks",
            target_id=cast.case_type.pk,
            after=_clocks(cast.case_type, acknowledge_within_days=5),
        )
    assert not SettingsChange.objects.exists()
    assert not StaffEvent.objects.filter(code__startswith="settings.").exists()


def test_a_change_that_changes_nothing_is_refused(cast):
    with pytest.raises(SettingsRefused, match="nothing was changed"):
        settings_change_make(
            actor=cast.administrator,
            subject="clocks",
            target_id=cast.case_type.pk,
            after=_clocks(cast.case_type),
        )


def test_the_database_refuses_a_confirmation_by_the_proposer(cast):
    change = settings_change_make(
        actor=cast.administrator,
        subject="clocks",
        target_id=cast.case_type.pk,
        after=_clocks(cast.case_type, acknowledge_within_days=30),
    )
    change.status = SettingsStatus.CONFIRMED
    change.confirmed_by = cast.administrator
    with pytest.raises(IntegrityError), transaction.atomic():
        change.save(update_fields=["status", "confirmed_by"])
