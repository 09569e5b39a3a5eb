"""An appeal opened tells the case type's triage leads, who choose its decision-maker
(decision 0032), that it waits for one: over HTTP, as the handler takes the step. Nobody
else is told, nor for any other step, and a triage lead excluded from the case is not. The
person they then give it to is told they have an appeal to decide."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group, User
from django.utils import timezone

from notifications.kinds import APPEAL_TO_DECIDE, APPEAL_WAITING
from notifications.models import Notification
from permissions.models import ExclusionKind
from permissions.roles import Role
from permissions.services import case_assign, exclusion_add
from tests.builders import make_case, make_case_type
from workflows.services import case_transition


def _decided_case(cast):
    """A bullying case the cast's triage team triages, decided by the assigned handler."""
    kind = make_case_type(workflow="bullying", triage_team=cast.case_type.triage_team)
    case = make_case(case_type=kind, state="formal_investigation")
    case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    return case_transition(
        case=case, name="record_decision", actor=cast.assigned_handler, outcome="substantiated"
    )


def _step(client, case, name, state):
    return client.post(
        f"/staff/cases/{case.pk}/step/",
        {"step": name, "expected_state": state, "reason": "The reporter appealed in writing."},
    )


def test_opening_an_appeal_tells_the_triage_leads_not_excluded_and_nobody_else(
    cast, sign_in, client
):
    case = _decided_case(cast)
    excluded = User.objects.create_user("triage-excluded")
    excluded.groups.add(Group.objects.get(name=Role.TRIAGE_LEAD.value), cast.case_type.triage_team)
    exclusion_add(case=case, user=excluded, kind=ExclusionKind.SUBJECT, actor=cast.triage_lead)
    before = set(Notification.objects.values_list("pk", flat=True))
    sign_in(cast.assigned_handler)

    answer = _step(client, case, "open_appeal", "decision")

    assert answer.status_code == 302
    made = Notification.objects.exclude(pk__in=before)
    assert list(made.values_list("recipient__username", "kind", "case_id")) == [
        (cast.triage_lead.username, APPEAL_WAITING, case.pk)
    ]
    sign_in(cast.triage_lead)
    page = client.get("/staff/notifications/").content.decode()
    assert "An appeal is waiting for a decision-maker" in page
    assert f'href="/staff/cases/{case.pk}/"' in page


def test_no_other_step_and_no_refused_step_tells_anyone(cast, sign_in, client):
    case = _decided_case(cast)
    sign_in(cast.assigned_handler)
    before = Notification.objects.count()
    assert _step(client, case, "open_appeal", "formal_investigation").status_code == 400  # stale
    assert Notification.objects.count() == before
    assert Notification.objects.filter(kind=APPEAL_WAITING).count() == 0
    other = make_case(
        case_type=make_case_type(workflow="bullying", triage_team=cast.case_type.triage_team),
        state="formal_investigation",
    )
    case_assign(case=other, assignee=cast.assigned_handler, actor=cast.triage_lead)
    assert _step(client, other, "record_decision", "formal_investigation").status_code in (
        302,
        400,
    )
    assert Notification.objects.filter(kind=APPEAL_WAITING).count() == 0


def test_the_person_given_the_appeal_is_told_and_a_refused_choice_tells_nobody(
    cast, sign_in, client
):
    case = case_transition(
        case=_decided_case(cast),
        name="open_appeal",
        actor=cast.assigned_handler,
        reason="The reporter appealed.",
    )
    pool = Group.objects.get_or_create(name="Appeal decision-maker")[0]
    free, worked = (User.objects.create_user(f"pool-{n}") for n in ("free", "worked"))
    for person in (free, worked):
        person.groups.add(pool)
    worked.groups.add(Group.objects.get(name=Role.HANDLER.value))
    case_assign(case=case, assignee=worked, actor=cast.triage_lead)  # took part: refused
    until = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    sign_in(cast.triage_lead)

    refused = client.post(
        f"/staff/cases/{case.pk}/appeal/decider/", {"decider": str(worked.pk), "until": until}
    )
    assert refused.status_code == 400
    assert not Notification.objects.filter(kind=APPEAL_TO_DECIDE).exists()

    given = client.post(
        f"/staff/cases/{case.pk}/appeal/decider/", {"decider": str(free.pk), "until": until}
    )
    assert given.status_code == 302
    told = Notification.objects.filter(kind=APPEAL_TO_DECIDE)
    assert list(told.values_list("recipient__username", "case_id")) == [("pool-free", case.pk)]
    sign_in(free)
    page = client.get("/staff/notifications/").content.decode()
    assert "You have been asked to decide an appeal" in page
