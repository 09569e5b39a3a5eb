"""Reports taken by phone, in person or by post (issue 15, section 4): a member of the triage
team records the answers, the case's deadlines run from the day it was received, the token is
shown once on a receipt to hand over and is stored nowhere, and it opens the follow-up page."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, Category, Channel
from cases.selectors import case_content, reporter_identity_of
from cases.tokens import token_digest, token_normalize
from tests.builders import make_case_type
from workflows.models import Clock
from workflows.on_behalf import MayNotRecord, report_record_on_behalf

RECORD = "/staff/cases/record/"


@pytest.fixture
def lead(cast, sign_in):
    sign_in(cast.triage_lead)
    return cast


def _form(cast, **changes):
    data = {
        "case_type": str(cast.case_type.pk),
        "channel": "phone",
        "received_on": (timezone.localdate() - dt.timedelta(days=10)).isoformat(),
        "what_happened": "MARKER-PHONE The manager shouts at new starters every morning.",
        "when": "Since March",
        "where": "",
        "category": "",
        "people_involved": "",
        "not_to_handle": "",
        "identity": "anonymous",
        "name": "",
        "contact": "",
    }
    data.update(changes)
    return data


def _token(page: str) -> str:
    return re.search(r'id="token">([0-9A-Z-]+)<', page).group(1)


def test_only_a_triage_team_member_reaches_the_page_and_sees_the_link(client, cast, sign_in):
    for person in (cast.assigned_handler, cast.external_investigator, cast.governance_lead):
        sign_in(person)
        assert client.get(RECORD).status_code == 404
        assert client.post(RECORD, _form(cast)).status_code == 404
        assert "Record a report received" not in client.get("/staff/cases/").content.decode()
    assert Case.objects.count() == 1  # the cast's own case only
    sign_in(cast.triage_lead)
    assert client.get(RECORD).status_code == 200
    assert 'href="/staff/cases/record/"' in client.get("/staff/cases/").content.decode()


def test_a_phone_report_is_filed_from_the_day_received_and_its_token_opens_follow_up(
    client, lead, caplog
):
    caplog.set_level("DEBUG")
    received = timezone.localdate() - dt.timedelta(days=10)
    answer = client.post(RECORD, _form(lead))
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    token = _token(page)
    case = Case.objects.exclude(pk=lead.case.pk).get()
    assert case.token_digest == token_digest(token_normalize(token) or "")
    assert (case.channel, case.received_on) == (Channel.PHONE, received)
    acknowledge = Clock.objects.get(case=case, kind="acknowledge")
    assert acknowledge.started_on == received
    assert acknowledge.due_on == received + dt.timedelta(days=7)
    assert f"by {acknowledge.due_on:%-d %B %Y}" in page  # the receipt says when
    assert "http://testserver/follow-up/" in page
    recorded = CaseEvent.objects.get(case=case, code="case.recorded_on_behalf")
    assert (recorded.actor_id, recorded.payload) == (lead.triage_lead.pk, {"channel": "phone"})
    codes = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("code", flat=True))
    assert codes[:2] == ["case.created", "case.recorded_on_behalf"]

    assert token not in caplog.text and token not in str(client.session.items())
    case_page = html.unescape(client.get(f"/staff/cases/{case.pk}/").content.decode())
    assert f"{received:%-d %B %Y} (phone, recorded by staff)" in case_page
    reporter = type(client)()
    opened = reporter.post("/follow-up/", {"token": token})
    assert opened.status_code == 302
    followed = reporter.get(opened["Location"]).content.decode()
    assert f"You made your report on {received:%-d %B %Y}." in followed


def test_a_named_report_keeps_the_name_only_where_the_type_allows_it(client, lead):
    lead.case_type.reporting_levels = "anonymous_named"
    lead.case_type.save(update_fields=["reporting_levels"])
    client.post(RECORD, _form(lead, identity="named", name="Sam Jones", contact="sam@example.org"))
    case = Case.objects.exclude(pk=lead.case.pk).get()
    assert case.reporter_named is True

    lead.case_type.reporting_levels = "anonymous"
    lead.case_type.save(update_fields=["reporting_levels"])
    refused = client.post(RECORD, _form(lead, identity="named", name="Sam Jones"))
    assert refused.status_code == 400
    assert "cannot be made with the name given openly" in refused.content.decode()
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"what_happened": ""}, "what_happened", "Write what happened."),
        ({"channel": "web"}, "channel", "Select a valid choice."),
        ({"channel": ""}, "channel", "Choose how the report was received."),
        ({"received_on": "2026-02-30"}, "received_on", "Give the day as a real date."),
        ({"received_on": "3000-01-01"}, "received_on", "cannot be in the future"),
        ({"identity": "named", "name": " "}, "name", "Give their name"),
        ({"case_type": "999999"}, "case_type", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_linked_error_and_keeps_what_was_typed(
    client, lead, changes, field, error
):
    answer = client.post(RECORD, _form(lead, when="KEPT-TEXT", **changes))
    page = html.unescape(answer.content.decode())
    assert answer.status_code == 400
    assert re.search(rf'<a href="#id_{field}">[^<]*{re.escape(error)}', page), page[:3000]
    assert 'value="KEPT-TEXT"' in page
    assert Case.objects.count() == 1


def test_a_forged_category_of_another_type_or_a_type_of_another_team_is_refused(
    client, lead, django_user_model
):
    elsewhere = make_case_type()  # no triage team: not recordable by this lead
    other = Category.objects.create(case_type=elsewhere, slug="x", name="Elsewhere")
    refused = client.post(RECORD, _form(lead, category=str(other.pk)))
    assert refused.status_code == 400
    refused = client.post(RECORD, _form(lead, case_type=str(elsewhere.pk)))
    assert refused.status_code == 400
    assert Case.objects.count() == 1


def test_the_service_refuses_someone_outside_the_triage_team_and_the_forms_channel(cast):
    kwargs = {
        "case_type": cast.case_type,
        "received_on": timezone.localdate(),
        "answers": {"what_happened": "x"},
    }
    with pytest.raises(MayNotRecord):
        report_record_on_behalf(actor=cast.assigned_handler, channel="phone", **kwargs)
    from cases.services import InvalidReport

    with pytest.raises(InvalidReport):
        report_record_on_behalf(actor=cast.triage_lead, channel="web", **kwargs)
    assert Case.objects.count() == 1


# --- A kind of report for trends only asks no contact, name or exclusion (decision 0034) --------


@pytest.fixture
def two_kinds(lead):
    """The lead's team triages a second kind, for trends only (whose row, left from before,
    still says named reporting is allowed: the process decides)."""
    trends = make_case_type(
        name="Trends only",
        workflow="trend_only",
        reporting_levels="all",
        triage_team=lead.case_type.triage_team,
    )
    return lead, trends


# The questions asked only where the report is looked into, by their field names.
INVESTIGATED_ONLY = {"not_to_handle", "contact", "identity", "name"}


def _fields(page: str) -> set[str]:
    found = re.findall(r'<(?:input|textarea|select)[^>]* name="([a-z_]+)"', page)
    return set(found) - {"csrfmiddlewaretoken"}


def test_the_kind_is_chosen_first_when_the_team_records_several(client, two_kinds):
    lead, trends = two_kinds
    page = client.get(RECORD).content.decode()
    assert _fields(page) == {"kind", "step"}  # the kind alone: it decides the questions
    assert 'method="get"' in page and "Trends only" in page

    investigated = client.get(f"{RECORD}?kind={lead.case_type.pk}").content.decode()
    assert _fields(investigated) >= INVESTIGATED_ONLY
    assert f'type="hidden" name="case_type" value="{lead.case_type.pk}"' in investigated
    assert 'href="/staff/cases/record/"' in investigated  # "Change" the kind

    counted = client.get(f"{RECORD}?kind={trends.pk}").content.decode()
    assert _fields(counted) == {
        "case_type",
        "channel",
        "received_on",
        "what_happened",
        "when",
        "where",
        "category",
        "people_involved",
    }
    assert "nobody will contact the reporter" in counted
    assert "How can we contact them?" not in counted
    assert "anyone who must not handle the report?" not in counted


def test_a_team_with_one_kind_goes_straight_to_its_questions(client, lead):
    page = client.get(RECORD).content.decode()
    assert _fields(page) >= INVESTIGATED_ONLY and "kind" not in _fields(page)
    assert 'href="/staff/cases/record/"' not in page  # nothing else to choose


@pytest.mark.parametrize(
    "query", ["step=kind&kind=999999", "kind=x", "kind=", "kind={other}", "step=kind"]
)
def test_a_kind_not_recorded_by_the_team_is_asked_again(client, two_kinds, query):
    assert two_kinds  # the team records two kinds, so the choice is asked again
    other = make_case_type()  # no triage team
    answer = client.get(f"{RECORD}?{query.format(other=other.pk)}")
    page = html.unescape(answer.content.decode())
    assert answer.status_code == 400
    assert '<a href="#id_kind">Choose the kind of report.</a>' in page
    assert _fields(page) == {"kind", "step"}


def test_a_trend_report_recorded_by_phone_keeps_no_forged_contact_name_or_exclusion(
    client, two_kinds
):
    lead, trends = two_kinds
    forged = _form(
        lead,
        case_type=str(trends.pk),
        contact="marker@example.org",
        not_to_handle="Marker Forged-Exclusion",
        identity="named",
        name="Marker Forged-Name",
    )
    answer = client.post(RECORD, forged)
    assert answer.status_code == 200 and 'id="token"' in answer.content.decode()
    case = Case.objects.get(case_type=trends)
    content = case_content(case)
    assert not case.reporter_named
    assert not content.reporter_contact
    assert "Marker" not in str(content.answers)
    assert "not_to_handle" not in content.answers
    assert reporter_identity_of(case) is None
    # The same posted as confidential: nothing is sealed for the confidential contact either.
    client.post(RECORD, {**forged, "identity": "confidential"})
    assert Case.objects.filter(case_type=trends).count() == 2
    assert all(reporter_identity_of(c) is None for c in Case.objects.filter(case_type=trends))


def test_the_service_refuses_contact_a_name_or_an_exclusion_for_a_trend_report(two_kinds):
    lead, trends = two_kinds
    from cases.services import Confidential, InvalidReport

    base = {
        "actor": lead.triage_lead,
        "case_type": trends,
        "channel": "post",
        "received_on": timezone.localdate(),
    }
    what = {"what_happened": "x"}
    for extra in (
        {"reporter_contact": "sam@example.org", "answers": what},
        {"reporter_named": True, "answers": {**what, "name": "Sam"}},
        {"confidential": Confidential(name="Sam", contact=""), "answers": what},
        {"answers": {**what, "not_to_handle": "The manager"}},
    ):
        with pytest.raises(InvalidReport):
            report_record_on_behalf(**base, **extra)
    report_record_on_behalf(**base, answers=what)  # without them, filed
    assert Case.objects.filter(case_type=trends).count() == 1
