"""Appeals decided by an independent decision-maker, over HTTP (docs/decisions/0032): the
triage team chooses someone from the pool who took no part in the case (a forged choice is
refused); they see the case as an outsider does and may decide its appeal and nothing else,
from the day they are given it until it is decided or their access ends; everyone else gets
the same not-found as for any case they cannot reach. Expected values are written by hand."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone

from cases.audit import event_record
from cases.models import Case, CaseEvent, MessageKind
from cases.services import message_add
from permissions.models import AccessRefusal, CaseUserPermission, ExclusionKind
from permissions.services import (
    AssignmentRefused,
    case_assign,
    case_assign_team,
    exclusion_add,
)
from tests.builders import make_case, make_case_type
from workflows.services import case_appoint_decider, case_transition

POOL = "Appeal decision-maker"


def _text(answer) -> str:
    return html.unescape(answer.content.decode())


@pytest.fixture
def appeal(cast):
    """A bullying case of a kind the cast's triage lead triages, decided by the cast's
    assigned handler and now at its appeal; and a pool of decision-makers: one free of the
    case and one of each way of having taken part in it."""
    case_type = make_case_type(workflow="bullying", triage_team=cast.case_type.triage_team)
    case = make_case(case_type=case_type, state="formal_investigation")
    handler = cast.assigned_handler
    case_assign(case=case, assignee=handler, actor=cast.triage_lead)
    case = case_transition(
        case=case, name="record_decision", actor=handler, outcome="substantiated"
    )
    case = case_transition(case=case, name="open_appeal", actor=handler, reason="Unfair.")
    role = Group.objects.get_or_create(name=POOL)[0]
    pool = {}
    for name in ("free", "worked", "looked", "teamed", "excluded"):
        pool[name] = User.objects.create_user(username=f"pool-{name}", first_name=name.title())
        pool[name].groups.add(role)
    pool["worked"].groups.add(Group.objects.get(name="Handler"))
    case_assign(case=case, assignee=pool["worked"], actor=cast.triage_lead)
    event_record(case=case, code="case.viewed", actor=pool["looked"], payload={"view": "view"})
    team = Group.objects.create(name="Appeal-adjacent team")
    pool["teamed"].groups.add(team)
    case_assign_team(case=case, team=team, actor=cast.triage_lead)
    exclusion_add(
        case=case, user=pool["excluded"], kind=ExclusionKind.SUBJECT, actor=cast.triage_lead
    )
    # Content a handler did not share: an outsider to the case's handling never sees it.
    message_add(
        case=case, kind=MessageKind.INTERNAL_NOTE, body="UNSHARED-MARKER notes", author=handler
    )
    return type("Appeal", (), {"case": Case.objects.get(pk=case.pk), "pool": pool})


def _until(days: int = 14) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _give(client, case, user, until: str):
    return client.post(
        f"/staff/cases/{case.pk}/appeal/decider/", {"decider": str(user.pk), "until": until}
    )


def _grants(case) -> list[tuple[str, str]]:
    return sorted(
        CaseUserPermission.objects.filter(content_object=case)
        .exclude(user__username__in=["handler", "pool-worked"])
        .values_list("user__username", "permission__codename")
    )


def test_the_picker_offers_only_decision_makers_who_took_no_part(cast, appeal, sign_in, client):
    sign_in(cast.triage_lead)
    page = client.get(f"/staff/cases/{appeal.case.pk}/appeal/decider/")
    assert page.status_code == 200
    select = re.search(r'<select[^>]*name="decider".*?</select>', _text(page), re.S)
    assert select
    assert re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', select.group(0)) == [
        ("", "- Select an option -"),
        (str(appeal.pool["free"].pk), "Free"),
    ]
    # Configuration and the reference only: nothing of the case's content.
    assert "UNSHARED-MARKER" not in _text(page) and "Something happened" not in _text(page)


@pytest.mark.parametrize("who", ["worked", "looked", "teamed", "excluded"])
def test_a_forged_choice_of_someone_who_took_part_is_refused(cast, appeal, sign_in, client, who):
    sign_in(cast.triage_lead)
    answer = _give(client, appeal.case, appeal.pool[who], _until())
    page = _text(answer)
    assert answer.status_code == 400
    assert re.search(
        r'govuk-error-summary__list"><li><a href="#id_decider">Choose someone from the list: '
        r"only appeal decision-makers who took no part in this case can decide its appeal.",
        page,
    )
    assert "<title>Error: Who decides the appeal" in page
    assert not CaseUserPermission.objects.filter(
        content_object=appeal.case, permission__codename="decide_appeal"
    ).exists()


# (until, error shown)
BAD_UNTIL = [
    ("", "Give the last day of their access."),
    ("next week", "Give the last day of their access as a date."),
    ("2020-01-01", "A decision-maker's access needs an end date from today to 90 days ahead."),
    (None, "A decision-maker's access needs an end date from today to 90 days ahead."),
]


@pytest.mark.parametrize(("until", "error"), BAD_UNTIL)
def test_an_end_date_missing_past_or_too_far_is_refused(
    cast, appeal, sign_in, client, until, error
):
    sign_in(cast.triage_lead)
    answer = _give(client, appeal.case, appeal.pool["free"], _until(91) if until is None else until)
    assert answer.status_code == 400
    assert error in _text(answer)
    assert _grants(appeal.case) == []


def test_the_granting_service_refuses_what_the_form_cannot_send(cast, appeal):
    """As an API would call it: someone who took part, someone not in the pool, a case not at
    its appeal, and someone who does not triage the case; each refusal audited."""
    until = timezone.localdate() + dt.timedelta(days=7)
    for who in ("worked", "looked", "teamed"):
        with pytest.raises(AssignmentRefused, match="taken part"):
            case_appoint_decider(
                case=appeal.case,
                assignee=appeal.pool[who],
                actor=cast.triage_lead,
                expires_on=until,
            )
    with pytest.raises(AssignmentRefused, match="Only appeal decision-makers"):
        case_appoint_decider(
            case=appeal.case,
            assignee=cast.unassigned_handler,
            actor=cast.triage_lead,
            expires_on=until,
        )
    with pytest.raises(AssignmentRefused, match="Only the team that triages"):
        case_appoint_decider(
            case=appeal.case,
            assignee=appeal.pool["free"],
            actor=cast.other_triage_lead,
            expires_on=until,
        )
    with pytest.raises(AssignmentRefused, match="no appeal waiting"):
        case_appoint_decider(
            case=cast.case, assignee=appeal.pool["free"], actor=cast.triage_lead, expires_on=until
        )
    reasons = list(
        CaseEvent.objects.filter(code="case.assignment_refused")
        .order_by("id")
        .values_list("payload__reason", flat=True)
    )
    assert reasons == ["took_part", "took_part", "took_part", "role", "triage", "no_appeal"]
    assert _grants(appeal.case) == []


def test_only_the_triage_team_reaches_the_picker_and_only_at_the_appeal(
    cast, appeal, sign_in, client
):
    url = f"/staff/cases/{appeal.case.pk}/appeal/decider/"
    for who in ("assigned_handler", "other_triage_lead", "administrator", "governance_lead"):
        sign_in(getattr(cast, who))
        assert client.get(url).status_code == 404, who
        assert _give(client, appeal.case, appeal.pool["free"], _until()).status_code == 404, who
    sign_in(appeal.pool["free"])
    assert client.get(url).status_code == 404
    # Outsiders' attempts are recorded; the triage lead, on a case of theirs with no appeal
    # waiting, gets a plain not-found (the workflow's no, as for a step's confirmation page).
    assert AccessRefusal.objects.filter(
        actor=cast.other_triage_lead, action="appoint_decider"
    ).exists()
    sign_in(cast.triage_lead)
    assert client.get(f"/staff/cases/{cast.case.pk}/appeal/decider/").status_code == 404
    assert not AccessRefusal.objects.filter(actor=cast.triage_lead).exists()
    assert _grants(appeal.case) == []


@pytest.mark.slow  # over the fast pass's CPU limit (decision 0017)
def test_the_decision_maker_sees_the_case_and_decides_the_appeal_and_nothing_else(
    cast, appeal, sign_in, client
):
    free, case = appeal.pool["free"], appeal.case
    page_url = f"/staff/cases/{case.pk}/"
    # Before they are given the appeal: the same not-found as any case.
    sign_in(free)
    assert client.get(page_url).status_code == 404
    assert case.reference not in _text(client.get("/staff/cases/"))

    # The triage team sees the appeal waiting, and gives it.
    sign_in(cast.triage_lead)
    appeals = _text(client.get("/staff/appeals/"))
    assert case.reference in appeals and "Nobody yet" in appeals
    answer = _give(client, case, free, _until(14))
    assert answer.status_code == 302 and answer["Location"] == "/staff/appeals/"
    assert "Given" in _text(client.get("/staff/appeals/"))
    assert _grants(case) == [("pool-free", "decide_appeal"), ("pool-free", "view_case")]
    until = timezone.localdate() + dt.timedelta(days=14)
    assert set(
        CaseUserPermission.objects.filter(user=free).values_list("expires_on", flat=True)
    ) == {until}
    assigned = CaseEvent.objects.filter(case=case, code="case.assigned").latest("id")
    assert assigned.payload == {
        "assignee": free.pk,
        "role": "appeal_decision_maker",
        "until": until.isoformat(),
    }

    # They see the case, as an outsider: nothing unshared; the one step they may take.
    sign_in(free)
    assert case.reference in _text(client.get("/staff/cases/"))
    page = _text(client.get(page_url))
    assert 'value="decide_appeal"' in page
    assert "UNSHARED-MARKER" not in page
    buttons = re.findall(r'name="step" value="(\w+)"', page)
    assert buttons == ["decide_appeal"]
    assert 'name="kind" value="to_reporter"' not in page
    assert 'name="kind" value="internal_note"' not in page
    assert "/assign/" not in page
    # Nothing else: another step, a note, a message, the record, assigning.
    base = f"/staff/cases/{case.pk}"
    refused = [
        (f"{base}/step/", {"step": "withdraw", "reason": "x", "expected_state": "appeal"}),
        (f"{base}/message/", {"kind": "internal_note", "body": "x"}),
        (f"{base}/message/", {"kind": "to_reporter", "body": "x"}),
        (f"{base}/category/", {"category": "1"}),
        (f"{base}/police/", {"on": "2026-01-01"}),
        (f"{base}/assign/", {"assignee": str(cast.unassigned_handler.pk)}),
        (f"{base}/appeal/decider/", {"decider": str(free.pk), "until": _until()}),
    ]
    for url, data in refused:
        assert client.post(url, data).status_code == 404, url
    assert Case.objects.get(pk=case.pk).state == "appeal"

    # The decision without its outcome: the page again, the error linked to the field.
    answer = client.post(f"{base}/step/", {"step": "decide_appeal", "expected_state": "appeal"})
    assert answer.status_code == 400
    assert 'href="#outcome-decide_appeal"' in _text(answer)
    # The decision.
    answer = client.post(
        f"{base}/step/",
        {"step": "decide_appeal", "expected_state": "appeal", "outcome": "appeal_dismissed"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/staff/cases/"
    decided = Case.objects.get(pk=case.pk)
    assert (decided.state, decided.outcome) == ("closed", "appeal_dismissed")
    # Their access ended with it, recorded.
    assert _grants(case) == []
    ended = CaseEvent.objects.filter(case=case, code="case.appeal_access_ended").get()
    assert ended.payload == {"user": free.pk}
    assert client.get(page_url).status_code == 404
    assert case.reference not in _text(client.get("/staff/cases/"))


def test_the_decision_makers_access_ends_on_its_last_day(cast, appeal, sign_in, client):
    free, case = appeal.pool["free"], appeal.case
    sign_in(cast.triage_lead)
    assert _give(client, case, free, _until(3)).status_code == 302
    sign_in(free)
    last_day = timezone.localdate() + dt.timedelta(days=3)
    noon = dt.datetime.combine(last_day, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(noon, tick=False):
        client.logout()
        sign_in(free)
        assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
    with time_machine.travel(noon + dt.timedelta(days=1), tick=False):
        client.logout()  # a new session: the old one's twelve hours are over
        sign_in(free)
        assert client.get(f"/staff/cases/{case.pk}/").status_code == 404
        answer = client.post(
            f"/staff/cases/{case.pk}/step/",
            {"step": "decide_appeal", "expected_state": "appeal", "outcome": "appeal_upheld"},
        )
        assert answer.status_code == 404
    assert Case.objects.get(pk=case.pk).state == "appeal"


def test_a_handler_of_the_case_is_offered_no_appeal_step_and_cannot_take_it(
    cast, appeal, sign_in, client
):
    sign_in(cast.assigned_handler)
    page = _text(client.get(f"/staff/cases/{appeal.case.pk}/"))
    assert 'value="decide_appeal"' not in page
    assert "The triage team chooses who decides the appeal" in page
    answer = client.post(
        f"/staff/cases/{appeal.case.pk}/step/",
        {"step": "decide_appeal", "expected_state": "appeal", "outcome": "appeal_upheld"},
    )
    assert answer.status_code == 404
    assert Case.objects.get(pk=appeal.case.pk).state == "appeal"


def test_the_appeals_page_lists_only_the_kinds_one_triages(cast, appeal, sign_in, client):
    for who in ("other_triage_lead", "assigned_handler", "administrator"):
        sign_in(getattr(cast, who))
        page = _text(client.get("/staff/appeals/"))
        assert appeal.case.reference not in page, who
        assert "No case of the kinds you triage is at its appeal." in page
    sign_in(cast.triage_lead)
    assert 'href="/staff/appeals/"' in _text(client.get("/staff/cases/"))
