"""The access page: who holds which role and team, what waits for a second administrator,
and the forms that propose, confirm, decline and withdraw, all through HTTP."""

import pytest
from django.contrib.auth.models import Group

from permissions.access import case_queryset_for_user
from permissions.models import AccessChange, ChangeStatus, StaffEvent
from permissions.roles import Role, roles_of

PAGE = "/staff/access/"


@pytest.mark.parametrize(
    "who",
    ["triage_lead", "assigned_handler", "external_investigator", "governance_lead", "superuser"],
)
def test_the_access_page_is_not_found_for_anyone_but_administrators(cast, sign_in, client, who):
    sign_in(getattr(cast, who))
    assert client.get(PAGE).status_code == 404
    answer = client.post(
        "/staff/access/propose/",
        {"kind": "role_grant", "user": cast.governance_lead.pk, "role": "HANDLER"},
    )
    assert answer.status_code == 404
    assert not AccessChange.objects.exists()
    assert b'href="/staff/access/"' not in client.get("/staff/cases/").content


def test_the_page_lists_who_holds_each_role_and_team_and_no_case(cast, sign_in, client):
    sign_in(cast.administrator)
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    roles = dict(page.context["roles"])
    assert [u.username for u in roles[Role.HANDLER]] == [
        "conflicted",
        "handler",
        "other-handler",
        "team-member",
    ]
    assert [u.username for u in roles[Role.TRIAGE_LEAD]] == ["other-triage", "triage"]
    teams = {row.team.name: row for row in page.context["teams"]}
    assert [u.username for u in teams["Whistleblowing triage"].members] == ["triage"]
    assert teams["Whistleblowing triage"].triages == [cast.case_type]
    assert "Whistleblowing handlers" in text
    assert cast.case.reference not in text and "/staff/cases/" + str(cast.case.pk) not in text
    assert b'href="/staff/access/"' in client.get("/staff/cases/").content


# Two administrators sign in and walk the page: over the fast pass's budget.
@pytest.mark.slow
def test_propose_then_a_second_administrator_confirms_through_the_page(
    cast, second_administrator, sign_in, client
):
    from django.test import Client

    sign_in(cast.administrator)
    answer = client.post(
        "/staff/access/propose/",
        {"kind": "role_grant", "user": cast.governance_lead.pk, "role": "HANDLER", "remove": "no"},
        follow=True,
    )
    assert "takes effect when another administrator confirms it" in answer.content.decode()
    change = AccessChange.objects.get()
    # The proposer sees Withdraw, not Confirm; a forged confirm is refused with a message.
    page = client.get(PAGE).content.decode()
    assert f"/staff/access/changes/{change.pk}/confirm/" not in page
    assert f"/staff/access/changes/{change.pk}/close/" in page
    own = client.post(f"/staff/access/changes/{change.pk}/confirm/", follow=True)
    assert "A second administrator must confirm" in own.content.decode()
    assert Role.HANDLER not in roles_of(cast.governance_lead)

    other = sign_in(second_administrator, Client())
    assert f"/staff/access/changes/{change.pk}/confirm/" in other.get(PAGE).content.decode()
    done = other.post(f"/staff/access/changes/{change.pk}/confirm/", follow=True)
    assert "Confirmed" in done.content.decode()
    assert Role.HANDLER in roles_of(cast.governance_lead)
    assert "admin-two confirmed: give a role for governance." in other.get(PAGE).content.decode()


def test_taking_a_role_away_and_leaving_a_team_through_the_page(
    cast, second_administrator, sign_in, client
):
    from django.test import Client

    sign_in(cast.administrator)
    client.post(
        "/staff/access/propose/",
        {"kind": "role_grant", "user": cast.triage_lead.pk, "role": "TRIAGE_LEAD", "remove": "yes"},
    )
    triage_team = Group.objects.get(name="Whistleblowing triage")
    client.post(
        "/staff/access/propose/",
        {"kind": "team_join", "user": cast.triage_lead.pk, "team": triage_team.pk, "remove": "yes"},
    )
    other = sign_in(second_administrator, Client())
    for change in AccessChange.objects.all():
        other.post(f"/staff/access/changes/{change.pk}/confirm/")
    assert Role.TRIAGE_LEAD not in roles_of(cast.triage_lead)
    assert not cast.triage_lead.groups.filter(pk=triage_team.pk).exists()
    assert not case_queryset_for_user(cast.triage_lead).exists()


def test_declining_and_withdrawing_through_the_page(cast, second_administrator, sign_in, client):
    from django.test import Client

    sign_in(cast.administrator)
    for user in (cast.governance_lead, cast.assigned_handler):
        client.post(
            "/staff/access/propose/",
            {"kind": "role_grant", "user": user.pk, "role": "GOVERNANCE_LEAD"},
        )
    refused = client.post(
        "/staff/access/propose/",
        {"kind": "role_grant", "user": cast.governance_lead.pk, "role": "GOVERNANCE_LEAD"},
        follow=True,
    )
    assert "They already have that role." in refused.content.decode()
    (change,) = AccessChange.objects.all()
    client.post(f"/staff/access/changes/{change.pk}/close/")
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    client.post(
        "/staff/access/propose/",
        {"kind": "team_join", "user": cast.assigned_handler.pk, "team": cast.team.pk},
    )
    pending = AccessChange.objects.get(status=ChangeStatus.PENDING)
    other = sign_in(second_administrator, Client())
    other.post(f"/staff/access/changes/{pending.pk}/close/")
    pending.refresh_from_db()
    assert pending.status == ChangeStatus.DECLINED
    assert not cast.assigned_handler.groups.filter(pk=cast.team.pk).exists()


def test_creating_a_team_and_proposing_its_triage_duty(cast, second_administrator, sign_in, client):
    from django.test import Client

    sign_in(cast.administrator)
    client.post("/staff/access/teams/", {"name": "Bullying triage"})
    team = Group.objects.get(name="Bullying triage")
    client.post(
        "/staff/access/propose/",
        {"kind": "triage_team_set", "case_type": cast.case_type.pk, "team": team.pk},
    )
    other = sign_in(second_administrator, Client())
    other.post(f"/staff/access/changes/{AccessChange.objects.get().pk}/confirm/")
    cast.case_type.refresh_from_db()
    assert cast.case_type.triage_team == team
    assert StaffEvent.objects.filter(code="team.created").count() == 1


def test_a_reset_of_a_second_factor_ends_the_persons_session(
    cast, second_administrator, sign_in, client
):
    from django.test import Client

    victim = sign_in(cast.assigned_handler, Client())
    assert victim.get("/staff/cases/").status_code == 200
    sign_in(cast.administrator)
    client.post(
        "/staff/access/propose/",
        {"kind": "second_factor_reset", "user": cast.assigned_handler.pk},
    )
    assert victim.get("/staff/cases/").status_code == 200  # nothing yet: one person only
    other = sign_in(second_administrator, Client())
    other.post(f"/staff/access/changes/{AccessChange.objects.get().pk}/confirm/")
    answer = victim.get("/staff/cases/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in victim.session


def test_a_garbled_proposal_is_refused_with_a_message(cast, sign_in, client):
    sign_in(cast.administrator)
    answer = client.post("/staff/access/propose/", {"kind": "nonsense"}, follow=True)
    assert "Choose what to change" in answer.content.decode()
    assert client.post("/staff/access/changes/999999/confirm/").status_code == 404
    assert client.get("/staff/access/propose/").status_code == 405
    assert not AccessChange.objects.exists()
