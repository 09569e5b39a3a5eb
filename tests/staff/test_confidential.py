"""Confidential reporting on the staff side (docs/decisions/0031-confidential-reporting.md): a
confidential reporter's name and contact details, placed as markers, appear on no page,
export or timeline a handler, an investigator or a triage lead receives until the reporter
agrees or the confidential contact reveals them; then handlers see them, investigators still
do not. Only the confidential contact reaches the identity and reveals it, with a reason; the
reveal is audited with identifiers only and the reporter is told."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import Group

from cases.models import CaseEvent, MessageKind, NewsDelivery, ReporterIdentity, ReporterNews
from cases.services import Confidential, identity_consent, message_add
from permissions.models import AccessRefusal, ExclusionKind
from permissions.roles import Role
from permissions.services import exclusion_add
from tests.builders import make_case

NAME = "QZCONFNAME Rhiannon Marker"
CONTACT = "qzconfcontact@example.org"
REASON = "QZREASON a risk to someone's safety"
MARKERS = ("QZCONFNAME", "qzconfcontact", "QZREASON")


@pytest.fixture
def confidential(cast, django_user_model):
    """A confidential report on the cast's case type (all three levels), worked by the
    cast's handler with the cast's investigator on it, and a confidential contact."""
    import datetime as dt

    from django.utils import timezone

    from permissions.services import case_assign, case_assign_team

    cast.case_type.reporting_levels = "all"
    cast.case_type.save(update_fields=["reporting_levels"])
    case, token = make_case(
        case_type=cast.case_type,
        confidential=Confidential(name=NAME, contact=CONTACT),
        with_token=True,
    )
    lead = cast.triage_lead
    case_assign(case=case, assignee=cast.assigned_handler, actor=lead)
    case_assign(
        case=case,
        assignee=cast.external_investigator,
        actor=lead,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    case_assign_team(case=case, team=cast.team, actor=lead)
    message_add(
        case=case, kind=MessageKind.TO_REPORTER, body="Thank you.", author=cast.assigned_handler
    )
    contact = django_user_model.objects.create_user(username="guardian", password="x-long-pw-1")
    contact.groups.add(Group.objects.get(name=Role.CONFIDENTIAL_CONTACT))
    cast.contact, cast.confidential_case, cast.token = contact, case, token
    return cast


def _pages(client, case):
    """Everything a member of staff can fetch about the case: its page, its timeline (all and
    changes only), the list, a search, the export, notifications."""
    for url in (
        f"/staff/cases/{case.pk}/",
        f"/staff/cases/{case.pk}/history/",
        f"/staff/cases/{case.pk}/history/?changes=1",
        "/staff/cases/",
        f"/staff/cases/?q={case.reference}",
        "/staff/cases/export.csv",
        "/staff/notifications/",
    ):
        answer = client.get(url)
        body = (b"".join(answer.streaming_content) if answer.streaming else answer.content).decode()
        yield url, answer.status_code, html.unescape(body)


def _markers_on(client, case) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for url, status, body in _pages(client, case):
        assert status == 200, url  # a scan of a refusal would prove nothing
        for marker in MARKERS:
            if marker.lower() in body.lower():
                found.setdefault(url, []).append(marker)
    return found


STAFF = ["assigned_handler", "team_handler", "external_investigator", "triage_lead"]


@pytest.mark.slow  # four people, seven pages each
def test_nobody_working_the_case_sees_the_identity_until_it_is_shared(
    confidential, sign_in, client
):
    for who in STAFF:
        sign_in(getattr(confidential, who))
        assert _markers_on(client, confidential.confidential_case) == {}, who
        client.logout()
    sign_in(confidential.assigned_handler)
    page = client.get(f"/staff/cases/{confidential.confidential_case.pk}/").content.decode()
    assert "Confidential: only the confidential contact knows who they are" in page


def _reveal(client, case, reason=REASON):
    return client.post(f"/staff/confidential/{case.pk}/reveal/", {"reason": reason})


@pytest.mark.slow  # four people, seven pages each
def test_after_the_reveal_handlers_see_it_and_investigators_still_do_not(
    confidential, sign_in, client
):
    case = confidential.confidential_case
    sign_in(confidential.contact)
    assert _reveal(client, case).status_code == 302
    client.logout()
    # Written by hand: who is shown the name and the contact details after the reveal (the
    # reason is the contact's and the reporter's only).
    expected = {
        "assigned_handler": {f"/staff/cases/{case.pk}/": ["QZCONFNAME", "qzconfcontact"]},
        "team_handler": {f"/staff/cases/{case.pk}/": ["QZCONFNAME", "qzconfcontact"]},
        "external_investigator": {},
        "triage_lead": {},
    }
    for who in STAFF:
        sign_in(getattr(confidential, who))
        assert _markers_on(client, case) == expected[who], who
        client.logout()
    sign_in(confidential.assigned_handler)
    page = html.unescape(client.get(f"/staff/cases/{case.pk}/").content.decode())
    assert "the confidential contact revealed it on" in page
    timeline = html.unescape(client.get(f"/staff/cases/{case.pk}/history/").content.decode())
    assert "revealed the confidential reporter's identity to those working the case" in timeline


def test_after_the_reporter_agrees_handlers_see_it(confidential, sign_in, client):
    case = confidential.confidential_case
    identity_consent(case=case)
    sign_in(confidential.assigned_handler)
    assert _markers_on(client, case) == {
        f"/staff/cases/{case.pk}/": ["QZCONFNAME", "qzconfcontact"]
    }
    page = html.unescape(client.get(f"/staff/cases/{case.pk}/").content.decode())
    assert "agreed to share it on" in page


def test_the_contact_sees_the_identity_and_nothing_of_the_report(confidential, sign_in, client):
    case = confidential.confidential_case
    sign_in(confidential.contact)
    listing = client.get("/staff/confidential/").content.decode()
    assert case.reference in listing and confidential.case.reference not in listing
    assert NAME not in listing  # the list names no one
    page = html.unescape(client.get(f"/staff/confidential/{case.pk}/").content.decode())
    assert NAME in page and CONTACT in page and "Reveal the identity" in page
    assert "Something happened." not in page  # the report's words (tests.builders)
    looked = CaseEvent.objects.filter(case=case).order_by("id").last()
    assert (looked.code, looked.actor, looked.payload) == (
        "case.identity_viewed",
        confidential.contact,
        {},
    )
    # No grant on the case: its page is the same not-found as for anyone.
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 404


def test_the_reveal_needs_a_reason_and_keeps_the_page(confidential, sign_in, client):
    case = confidential.confidential_case
    sign_in(confidential.contact)
    for reason in ("", "   "):
        answer = _reveal(client, case, reason)
        text = answer.content.decode()
        assert answer.status_code == 400
        assert "<title>Error:" in text and 'href="#id_reason"' in text
        assert "Enter why you are revealing the reporter&#x27;s identity" in text
    row = ReporterIdentity.objects.get(case=case)
    assert not row.shared and row.reveal_reason is None
    assert not CaseEvent.objects.filter(case=case, code="case.identity_revealed").exists()


def test_the_reveal_is_audited_with_identifiers_only_and_the_reporter_told(
    confidential, sign_in, client
):
    case = confidential.confidential_case
    sign_in(confidential.contact)
    ReporterNews.objects.all().delete()
    answer = _reveal(client, case)
    assert answer.status_code == 302
    row = ReporterIdentity.objects.get(case=case)
    assert row.revealed_by == confidential.contact and row.revealed_at is not None
    assert REASON.encode() not in bytes(row.reveal_reason)  # sealed
    event = CaseEvent.objects.filter(case=case, code="case.identity_revealed").get()
    assert (event.actor, event.payload) == (confidential.contact, {})
    for stored in CaseEvent.objects.filter(case=case).values_list("payload", flat=True):
        assert not any(marker.lower() in str(stored).lower() for marker in MARKERS)
    # The contact's page now says so, with the reason, and offers no second reveal.
    page = html.unescape(client.get(f"/staff/confidential/{case.pk}/").content.decode())
    assert REASON in page and "Reveal the identity" not in page
    again = _reveal(client, case, "once more")
    assert again.status_code == 400 and "already shared" in again.content.decode()
    assert CaseEvent.objects.filter(case=case, code="case.identity_revealed").count() == 1
    # "There is news" for the reporter, whose address is sealed with their name.
    news = ReporterNews.objects.get(case=case)
    assert news.delivery == NewsDelivery.PENDING
    # And their follow-up page says who shared it, when and why.
    reporter = type(client)()
    reporter.post("/follow-up/", {"token": confidential.token})
    followed = html.unescape(reporter.get("/follow-up/case/").content.decode())
    assert "the confidential contact shared your name" in followed and REASON in followed


@pytest.mark.parametrize("who", [*STAFF, "governance_lead", "administrator", "superuser"])
def test_only_the_contact_reaches_the_identity_or_reveals_it(confidential, sign_in, client, who):
    case = confidential.confidential_case
    user = getattr(confidential, who)
    sign_in(user)
    before = AccessRefusal.objects.count()
    assert client.get("/staff/confidential/").status_code == 404
    assert client.get(f"/staff/confidential/{case.pk}/").status_code == 404
    assert _reveal(client, case).status_code == 404
    assert AccessRefusal.objects.count() == before + 2
    assert not ReporterIdentity.objects.get(case=case).shared


def test_a_contact_excluded_from_the_case_gets_not_found(confidential, sign_in, client):
    case = confidential.confidential_case
    exclusion_add(
        case=case,
        user=confidential.contact,
        kind=ExclusionKind.NAMED_BY_REPORTER,
        actor=confidential.triage_lead,
    )
    sign_in(confidential.contact)
    assert case.reference not in client.get("/staff/confidential/").content.decode()
    assert client.get(f"/staff/confidential/{case.pk}/").status_code == 404
    assert _reveal(client, case).status_code == 404
    assert not ReporterIdentity.objects.get(case=case).shared


def test_a_triage_lead_can_exclude_the_contact_from_a_case_on_its_page(
    confidential, sign_in, client
):
    case = confidential.confidential_case
    sign_in(confidential.triage_lead)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    option = re.search(r'<option value="(\d+)"[^>]*>guardian<', page)
    assert option, "the contact is offered for exclusion"
    answer = client.post(
        f"/staff/cases/{case.pk}/exclude/", {"user": option.group(1), "kind": "named_by_reporter"}
    )
    assert answer.status_code == 302
    client.logout()
    sign_in(confidential.contact)
    assert client.get(f"/staff/confidential/{case.pk}/").status_code == 404


def test_the_contacts_pages_refuse_get_and_post_mixed_up(confidential, sign_in, client):
    case = confidential.confidential_case
    sign_in(confidential.contact)
    assert client.get(f"/staff/confidential/{case.pk}/reveal/").status_code == 405
    assert client.post(f"/staff/confidential/{case.pk}/").status_code == 405
    assert client.get("/staff/confidential/not-an-id/").status_code == 404


# --- Reports recorded on behalf (decision 0026) ---------------------------------------------


def _record_form(cast, **changes):
    from django.utils import timezone

    data = {
        "case_type": str(cast.case_type.pk),
        "channel": "phone",
        "received_on": timezone.localdate().isoformat(),
        "what_happened": "The manager shouts at new starters.",
        "when": "",
        "where": "",
        "category": "",
        "people_involved": "",
        "not_to_handle": "",
        "identity": "confidential",
        "name": NAME,
        "contact": CONTACT,
    }
    data.update(changes)
    return data


def test_a_report_recorded_on_behalf_takes_the_confidential_level(confidential, sign_in, client):
    from cases.models import Case
    from cases.selectors import case_content, reporter_identity_of, reporter_identity_open

    sign_in(confidential.triage_lead)
    answer = client.post("/staff/cases/record/", _record_form(confidential))
    assert answer.status_code == 200
    case = Case.objects.filter(channel="phone").get()
    content = case_content(case)
    assert "name" not in content.answers and content.reporter_contact == ""
    row = reporter_identity_of(case)
    assert row is not None
    identity = reporter_identity_open(case, row)
    assert (identity.name, identity.contact) == (NAME, CONTACT)


@pytest.mark.parametrize(
    ("levels", "identity", "name", "error"),
    [
        ("anonymous_named", "confidential", NAME, "cannot be made in confidence"),
        ("anonymous", "named", NAME, "cannot be made with the name given openly"),
        ("all", "confidential", "", "Give their name, or record the report as anonymous."),
        ("all", "forged", NAME, "Choose whether they stay anonymous or give their name."),
    ],
)
def test_a_recorded_report_with_a_level_not_offered_or_no_name_is_refused(
    confidential, sign_in, client, levels, identity, name, error
):
    from cases.models import Case

    confidential.case_type.reporting_levels = levels
    confidential.case_type.save(update_fields=["reporting_levels"])
    sign_in(confidential.triage_lead)
    answer = client.post(
        "/staff/cases/record/", _record_form(confidential, identity=identity, name=name)
    )
    assert answer.status_code == 400 and error in html.unescape(answer.content.decode())
    assert not Case.objects.filter(channel="phone").exists()
    assert not re.search(r"QZCONFNAME", "".join(map(str, Case.objects.values_list("reference"))))
