"""The case page's layout (issue 15, section 1): a header with the reference, the type, the
stage, who holds the case and its deadlines tagged overdue, due within a week or paused; the
next steps; then MoJ sub-navigation to the page's parts (Summary, Report, Messages and notes,
Evidence, Actions, Linked cases) and to the timeline, a page of its own. One page, so the case
is read through the gate and its view audited once, at the same cost however much the header
shows."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseEvent
from permissions.services import case_assign
from tests.builders import STEP_DATA, make_case, path_to
from workflows.clocks import clock_pause
from workflows.models import Clock
from workflows.services import case_transition

PARTS = ["summary", "report", "messages", "evidence", "actions", "links"]


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def _header(page: str) -> str:
    return re.search(r'<div class="staff-case-header">(.*?)</dl>\s*</div>', page, re.S).group(1)


def _fact(page: str, name: str) -> list[str]:
    header = _header(page)
    dd = re.search(rf"<dt>{name}</dt><dd>(.*?)</dd>", header, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", dd, re.S)
    return [_text(item) for item in items] if items else [_text(dd)]


def _get(client, case, query: str = "") -> str:
    answer = client.get(f"/staff/cases/{case.pk}/{query}")
    assert answer.status_code == 200
    return str(answer.content.decode())


def test_the_header_says_what_a_handler_needs_at_a_glance(cast, sign_in, client):
    cast.assigned_handler.first_name, cast.assigned_handler.last_name = "Ann", "Smith"
    cast.assigned_handler.save()
    sign_in(cast.assigned_handler)
    page = _get(client, cast.case)
    header = _header(page)
    today = timezone.localdate()
    assert f'<span class="govuk-caption-l">{cast.case_type.name}</span>' in header
    assert f"Case {cast.case.reference}</h1>" in header
    assert (
        '<strong class="govuk-tag"><span class="govuk-visually-hidden">Stage: </span>'
        "Received</strong>" in header
    )
    assert '<span class="moj-badge moj-badge--grey">Anonymous reporter</span>' in header
    assert _fact(page, "Received") == [f"{today:%-d %B %Y}"]
    until = today + dt.timedelta(days=30)
    assert _fact(page, "Held by") == [
        "Ann Smith (handler)",
        f"investigator (external investigator) (until {until:%-d %B %Y})",
        "Team: Whistleblowing handlers",
    ]
    due = today + dt.timedelta(days=7)
    assert _fact(page, "Deadlines") == [f"Acknowledge receipt: {due:%-d %B %Y} due in 7 days"]
    assert 'govuk-tag--yellow">due in 7 days</strong>' in header


# One case page each (the slow-test guard's budget is a test's: five pages in one test were
# over it on a busy CI machine).
@pytest.mark.parametrize(
    ("days_ago", "tag", "colour"),
    [(8, "overdue", "red"), (7, "due today", "yellow"), (6, "due in 1 day", "yellow")],
)
def test_each_deadline_is_tagged_by_how_near_it_is(cast, sign_in, client, days_ago, tag, colour):
    received = timezone.localdate() - dt.timedelta(days=days_ago)
    sign_in(cast.assigned_handler)
    case = make_case(case_type=cast.case_type, received_on=received)
    case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    page = _get(client, case)
    due = received + dt.timedelta(days=7)
    assert _fact(page, "Deadlines") == [f"Acknowledge receipt: {due:%-d %B %Y} {tag}"]
    assert f'govuk-tag--{colour}">{tag}</strong>' in _header(page)


def test_a_met_deadline_leaves_the_header_and_a_paused_one_says_so(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    # Acknowledged: that deadline is met (it leaves the header), feedback is months away (no
    # tag), and paused it says so.
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    feedback = Clock.objects.get(case=cast.case, stopped_on__isnull=True)
    label = f"Give feedback: {feedback.due_on:%-d %B %Y}"
    assert _fact(_get(client, cast.case), "Deadlines") == [label]
    clock_pause(clock=feedback, actor=cast.assigned_handler, reason="Waiting for the union")
    page = _get(client, cast.case)
    assert _fact(page, "Deadlines") == [f"{label} paused"]
    assert 'govuk-tag--grey">paused</strong>' in _header(page)


def test_a_closed_case_says_so_in_its_header(cast, sign_in, client):
    for name in path_to(cast.case_type.workflow, "closed"):
        case_transition(case=cast.case, name=name, actor=None, **STEP_DATA)
    sign_in(cast.assigned_handler)
    page = _get(client, cast.case)
    assert '<strong class="govuk-tag govuk-tag--grey"><span class="govuk-visually-hidden">' in page
    today = timezone.localdate()
    assert _fact(page, "Deadlines") == [f"None: closed on {today:%-d %B %Y}"]


def test_the_sub_navigation_leads_to_every_part_of_the_page(cast, sign_in, client):
    sign_in(cast.external_investigator)  # sees the fewest parts' contents, never fewer parts
    for viewer in (cast.external_investigator, cast.assigned_handler, cast.triage_lead):
        sign_in(viewer)
        page = _get(client, cast.case)
        nav = re.search(r'<nav class="moj-sub-navigation[^"]*"[^>]*>(.*?)</nav>', page, re.S)
        links = re.findall(r'href="([^"]*)"[^>]*>([^<]*)</a>', nav.group(1))
        assert links == [
            ("#summary", "Summary"),
            ("#report", "Report"),
            ("#messages", "Messages and notes"),
            ("#evidence", "Evidence"),
            ("#actions", "Actions"),
            ("#links", "Linked cases"),
            (f"/staff/cases/{cast.case.pk}/history/", "Timeline"),
        ], viewer
        for part in PARTS:
            assert page.count(f'id="{part}"') == 1, (viewer, part)
        assert "aria-current" not in nav.group(1)  # every part is on this page
        # In the order the sub-navigation lists them.
        assert [page.index(f'id="{part}"') for part in PARTS] == sorted(
            page.index(f'id="{part}"') for part in PARTS
        )


def test_the_timeline_page_has_the_same_sub_navigation_with_itself_current(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    page = client.get(f"/staff/cases/{cast.case.pk}/history/").content.decode()
    nav = re.search(r'<nav class="moj-sub-navigation[^"]*"[^>]*>(.*?)</nav>', page, re.S).group(1)
    case_url = f"/staff/cases/{cast.case.pk}/"
    assert re.findall(r'href="([^"]*)"', nav) == [
        *(f"{case_url}#{part}" for part in PARTS),
        f"{case_url}history/",
    ]
    assert 'aria-current="page">Timeline</a>' in nav


def test_the_case_page_is_one_gated_and_audited_view(cast, sign_in, client):
    """The parts are sections of one page: opening it is one view event, and an outsider
    gets the same not-found, recorded, as for a case that does not exist."""
    sign_in(cast.assigned_handler)
    before = CaseEvent.objects.filter(case=cast.case, code="case.viewed").count()
    _get(client, cast.case)
    assert CaseEvent.objects.filter(case=cast.case, code="case.viewed").count() == before + 1
    sign_in(cast.unassigned_handler)
    assert client.get(f"/staff/cases/{cast.case.pk}/#summary").status_code == 404


def _queries(client, case) -> int:
    with CaptureQueriesContext(connection) as captured:
        _get(client, case)
    return len(captured)


def test_the_header_costs_no_query_however_much_it_shows(cast, sign_in, client, django_user_model):
    """Who holds the case and its deadlines come from what the page read already: more
    people and a paused clock, the same number of queries."""
    sign_in(cast.assigned_handler)
    _queries(client, cast.case)  # the session's first request does its own work once
    few = _queries(client, cast.case)
    from django.contrib.auth.models import Group

    for n in range(3):
        person = django_user_model.objects.create_user(username=f"extra-{n}")
        person.groups.add(Group.objects.get(name="Handler"))
        case_assign(case=cast.case, assignee=person, actor=cast.triage_lead)
    clock = Clock.objects.get(case=cast.case)
    clock_pause(clock=clock, actor=cast.assigned_handler, reason="Waiting")
    page = _get(client, cast.case)
    assert len(_fact(page, "Held by")) == 6 and "paused" in _fact(page, "Deadlines")[0]
    assert _queries(client, cast.case) == few
