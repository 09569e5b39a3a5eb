"""Who a case page names and who may be taken off a case; the export is inert in a
spreadsheet; and three rules that no test protected before: evidence of one case through
another case's address, an excluded triage lead, and the view events of downloads and
timelines."""

import csv
import io
import re

import pytest

from cases.models import CaseEvent, Category
from cases.services import evidence_attach
from permissions.models import CaseUserPermission, ExclusionKind
from permissions.services import case_assign, exclusion_add
from tests.builders import make_case, make_case_type
from workflows.services import case_transition


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_id
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_case_page_names_only_the_people_working_the_case(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    # Written by hand: the assigned handler, the investigator (until their end date) and the
    # team member; the excluded team member and everyone else are not sent at all.
    assert _options(page, "action-owner") == [
        "Nobody yet",
        "handler",
        "investigator",
        "team-member",
    ]
    for other in ("other-handler", "governance", "admin", "root", "conflicted", "other-triage"):
        assert f">{other}<" not in page


def test_an_action_cannot_be_given_to_someone_off_the_case(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/actions/",
        {"title": "Call them", "owner": cast.governance_lead.pk},
        follow=True,
    )
    assert "only be given to someone working on the case" in answer.content.decode()
    assert not CaseEvent.objects.filter(case=cast.case, code="action.added").exists()


def test_a_triage_lead_is_offered_only_people_with_a_case_role(cast, sign_in, client):
    sign_in(cast.triage_lead)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert _options(page, "id_assignee") == [
        "- Select an option -",
        "handler",
        "investigator",
        "other-handler",
        "other-investigator",
        "team-member",
    ]
    assert _options(page, "id_user") == [
        "- Select an option -",
        "handler",
        "investigator",
        "other-handler",
        "other-investigator",
        "other-triage",
        "team-member",
        "triage",
    ]


# --- Taking someone off a case ------------------------------------------------------------------


def test_a_triage_lead_can_unassign_while_the_case_is_new(cast, sign_in, client):
    sign_in(cast.triage_lead)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/unassign/", {"user": cast.assigned_handler.pk}, follow=True
    )
    assert "The assignment has been removed." in answer.content.decode()
    assert not CaseUserPermission.objects.filter(user=cast.assigned_handler).exists()


def test_nobody_is_unassigned_from_a_case_being_worked(cast, sign_in, client):
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    grants = CaseUserPermission.objects.filter(user=cast.assigned_handler).count()
    sign_in(cast.triage_lead)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/unassign/", {"user": cast.assigned_handler.pk}, follow=True
    )
    assert "already being worked" in answer.content.decode()
    assert CaseUserPermission.objects.filter(user=cast.assigned_handler).count() == grants == 3
    refused = CaseEvent.objects.filter(case=cast.case, code="case.assignment_refused").latest("id")
    assert refused.payload == {"reason": "being_worked"} and refused.actor == cast.triage_lead
    # The handler on it still works it.
    sign_in(cast.assigned_handler)
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 200


# --- The export --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ('=HYPERLINK("http://x.example","y")', '\'=HYPERLINK("http://x.example","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Fraud", "Fraud"),
        ("Bribery = corruption", "Bribery = corruption"),
    ],
)
def test_the_export_writes_administrator_entered_names_inert(cast, sign_in, client, name, written):
    case_type = make_case_type(name=name, triage_team=cast.case_type.triage_team)
    category = Category.objects.create(case_type=case_type, slug="c", name=name)
    case = make_case(case_type=case_type, category=category)
    case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    sign_in(cast.assigned_handler)
    export = client.get("/staff/cases/export.csv").getvalue().decode()
    rows = {row[0]: row for row in csv.reader(io.StringIO(export))}
    assert rows[case.reference][1] == written  # case type
    assert rows[case.reference][3] == written  # category


# --- Rules no test protected before -------------------------------------------------------------


def test_evidence_of_one_case_through_another_cases_address_is_not_found(cast, sign_in, client):
    other = make_case(case_type=cast.case_type)
    case_assign(case=other, assignee=cast.assigned_handler, actor=cast.triage_lead)
    theirs = evidence_attach(
        case=other, source=io.BytesIO(b"other"), original_name="o.txt", content_type="text/plain"
    )
    sign_in(cast.assigned_handler)  # who may read both cases
    assert client.get(f"/staff/cases/{other.pk}/evidence/{theirs.pk}/").status_code == 200
    crossed = client.get(f"/staff/cases/{cast.case.pk}/evidence/{theirs.pk}/")
    assert crossed.status_code == 404
    assert b"other" not in crossed.content


def test_an_excluded_triage_lead_can_neither_view_nor_assign_the_case(cast, sign_in, client):
    from permissions.models import AccessRefusal

    cast.other_triage_lead.groups.add(cast.case_type.triage_team)  # a colleague in the team
    exclusion_add(
        case=cast.case,
        user=cast.triage_lead,
        kind=ExclusionKind.SUBJECT,
        actor=cast.other_triage_lead,
    )
    sign_in(cast.triage_lead)
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404
    assert cast.case.reference.encode() not in client.get("/staff/cases/").content
    assigned = client.post(
        f"/staff/cases/{cast.case.pk}/assign/", {"assignee": cast.unassigned_handler.pk}
    )
    assert assigned.status_code == 404
    assert not CaseUserPermission.objects.filter(user=cast.unassigned_handler).exists()
    actions = set(
        AccessRefusal.objects.filter(actor=cast.triage_lead).values_list("action", flat=True)
    )
    assert actions == {"view", "assign"}


def test_a_download_and_a_timeline_each_record_their_own_view_event(cast, sign_in, client):
    evidence = evidence_attach(
        case=cast.case, source=io.BytesIO(b"e"), original_name="e.txt", content_type="text/plain"
    )
    sign_in(cast.assigned_handler)

    def views():
        return list(
            CaseEvent.objects.filter(case=cast.case, code="case.viewed")
            .order_by("id")
            .values_list("actor__username", "payload")
        )

    before = views()
    b"".join(client.get(f"/staff/cases/{cast.case.pk}/evidence/{evidence.pk}/").streaming_content)
    assert views() == [*before, ("handler", {"view": "download"})]
    client.get(f"/staff/cases/{cast.case.pk}/history/")
    assert views() == [*before, ("handler", {"view": "download"}), ("handler", {"view": "history"})]
