"""Assigning, revoking and excluding: each change works on the next request and is audited."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User

from cases.exceptions import CaseDataUnreadable, CaseNotFound
from cases.keys import case_cipher
from cases.models import CaseEvent
from permissions.access import case_for_user
from permissions.models import CaseExclusion, CaseUserPermission, ExclusionKind
from permissions.roles import Role
from permissions.services import (
    AssignmentRefused,
    case_assign,
    case_recuse,
    case_unassign,
    exclusion_add,
    exclusion_confirm,
)


def _codes(case):
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("code", flat=True))


def test_assigning_a_handler_lets_them_in_and_unassigning_shuts_them_out(cast):
    user = cast.unassigned_handler
    case_assign(case=cast.case, assignee=user, actor=cast.triage_lead)
    assert case_for_user(user, cast.case.pk, audit=False) == cast.case
    assert case_unassign(case=cast.case, user=user, actor=cast.triage_lead) == 3
    with pytest.raises(CaseNotFound):
        case_for_user(user, cast.case.pk)
    assert _codes(cast.case)[-2:] == ["case.assigned", "case.unassigned"]


def test_unassigning_a_team_shuts_its_members_out(cast):
    case_unassign(case=cast.case, team=cast.team, actor=cast.triage_lead)
    with pytest.raises(CaseNotFound):
        case_for_user(cast.team_handler, cast.case.pk)
    with pytest.raises(ValueError):
        case_unassign(case=cast.case, actor=cast.triage_lead)


@pytest.mark.parametrize(
    ("assignee", "expires", "message"),
    [
        ("triage_lead", None, "yourself"),
        ("conflicted_handler", None, "excluded"),
        ("governance_lead", None, "Only handlers"),
        ("administrator", None, "Only handlers"),
        ("unassigned_investigator", None, "end date"),
        ("unassigned_investigator", dt.date(2020, 1, 1), "end date"),
    ],
)
def test_refused_assignments_change_nothing_and_are_audited(cast, assignee, expires, message):
    user = getattr(cast, assignee)
    grants = CaseUserPermission.objects.count()
    with pytest.raises(AssignmentRefused, match=message):
        case_assign(case=cast.case, assignee=user, actor=cast.triage_lead, expires_on=expires)
    assert CaseUserPermission.objects.count() == grants
    event = CaseEvent.objects.filter(case=cast.case).latest("id")
    assert event.code == "case.assignment_refused" and event.actor == cast.triage_lead


def test_a_disabled_account_cannot_be_assigned(cast):
    cast.unassigned_handler.is_active = False
    cast.unassigned_handler.save(update_fields=["is_active"])
    with pytest.raises(AssignmentRefused, match="disabled"):
        case_assign(case=cast.case, assignee=cast.unassigned_handler, actor=cast.triage_lead)


def test_an_exclusion_removes_existing_grants_and_holds_against_the_team(cast):
    exclusion_add(
        case=cast.case,
        user=cast.assigned_handler,
        kind=ExclusionKind.NAMED_BY_REPORTER,
        actor=cast.triage_lead,
    )
    assert not CaseUserPermission.objects.filter(user=cast.assigned_handler).exists()
    with pytest.raises(CaseNotFound):
        case_for_user(cast.assigned_handler, cast.case.pk)
    with pytest.raises(AssignmentRefused):
        case_assign(case=cast.case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    assert "case.exclusion_added" in _codes(cast.case)


def test_an_exclusion_is_confirmed_by_a_second_person_who_triages_the_case_only(cast):
    exclusion = CaseExclusion.objects.get(case=cast.case, user=cast.conflicted_handler)
    second = User.objects.create_user(username="second-triage")
    second.groups.add(cast.case_type.triage_team, Group.objects.get(name=Role.TRIAGE_LEAD))
    # The proposer, a triage lead of another case type, and an administrator may not.
    for refused in (cast.triage_lead, cast.other_triage_lead, cast.administrator):
        with pytest.raises(AssignmentRefused, match="second person"):
            exclusion_confirm(exclusion=exclusion, actor=refused)
    exclusion_confirm(exclusion=exclusion, actor=second)
    exclusion_confirm(exclusion=exclusion, actor=cast.administrator)  # already confirmed: no-op
    exclusion.refresh_from_db()
    assert exclusion.confirmed_by == second
    assert _codes(cast.case).count("case.exclusion_confirmed") == 1


def test_a_handler_can_step_aside_with_a_sealed_reason(cast):
    with pytest.raises(AssignmentRefused):
        case_recuse(case=cast.case, actor=cast.assigned_handler, reason="  ")
    exclusion = case_recuse(
        case=cast.case, actor=cast.assigned_handler, reason="I manage the person named"
    )
    with pytest.raises(CaseNotFound):
        case_for_user(cast.assigned_handler, cast.case.pk)
    assert b"manage" not in bytes(exclusion.reason)
    cipher = case_cipher(cast.case.pk)
    opened = cipher.open(
        exclusion.reason,
        model_label="permissions.caseexclusion",
        field="reason",
        row_id=exclusion.pk,
    )
    assert opened == b"I manage the person named"
    # Bound to the exclusion's own row, not only to the case.
    for other_row in (cast.case.pk, exclusion.pk + 1):
        with pytest.raises(CaseDataUnreadable):
            cipher.open(
                exclusion.reason,
                model_label="permissions.caseexclusion",
                field="reason",
                row_id=other_row,
            )
    assert _codes(cast.case)[-1] == "case.recused"


@pytest.mark.parametrize("who", ["unassigned_handler", "other_triage_lead", "governance_lead"])
def test_only_the_triage_team_may_change_who_is_on_a_case_whoever_calls_the_service(cast, who):
    """The services check the triage rule themselves: a command or an API calling them
    directly is held to it as the pages are."""
    actor = getattr(cast, who)
    attempts = [
        lambda: case_assign(case=cast.case, assignee=cast.unassigned_investigator, actor=actor),
        lambda: case_unassign(case=cast.case, user=cast.assigned_handler, actor=actor),
        lambda: exclusion_add(
            case=cast.case, user=cast.team_handler, kind=ExclusionKind.SUBJECT, actor=actor
        ),
    ]
    for attempt in attempts:
        with pytest.raises(AssignmentRefused, match="triages"):
            attempt()
    assert not CaseUserPermission.objects.filter(user=cast.unassigned_investigator).exists()
    assert CaseUserPermission.objects.filter(user=cast.assigned_handler).exists()
    assert not CaseExclusion.objects.filter(user=cast.team_handler).exists()
    refused = CaseEvent.objects.filter(case=cast.case, code="case.assignment_refused")
    assert [event.payload["reason"] for event in refused] == ["triage"] * 3
