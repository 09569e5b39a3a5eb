"""A bullying case walked by five people in Chromium, from a confidential report to a closed
appeal (issue 15's first "Done when"): the reporter gives their name in confidence on the
report pages; the triage lead gives the case to a handler and an external investigator; the
handler opens a formal investigation and shares one note of two with the investigator, who
sees that note and not the other (nor the report, nor the reporter's name) and adds their own;
the confidential contact sees who the reporter is, the handler and triage lead never do; the
handler records the decision with an outcome and opens an appeal; the triage lead gives the
appeal to the one person of the pool who took no part (the handler, also in the pool, is not
offered); the decision-maker decides it, the case closes and they no longer reach it.

Every staff page on the way passes axe-core's WCAG 2.2 A/AA rules, reflow at 320 pixels and
the keyboard walk (``tests/browser/conftest.py``), and its HTML is scanned for the markers
that person must not receive."""

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, User
from django.utils import timezone

from cases.models import Case, Category, OrganisationalUnit
from permissions.roles import Role
from tests.browser.conftest import axe_violations, sign_in
from tests.builders import make_case_type
from tests.conftest import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAME = "Qzidentity Rhys"  # the reporter's name, given in confidence
REPORT = "My team leader QZREPORT shouts at me in every meeting."  # never shared
UNSHARED = "QZUNSHARED: the team leader is the handler's neighbour."  # a note kept back
SHARED = "Please interview the two colleagues who sit beside the reporter."


@pytest.fixture
def bullying(transactional_db):
    triage = Group.objects.create(name="Bullying triage")
    for username, first_name, roles in (
        ("lead", "Lee", (Role.TRIAGE_LEAD,)),
        # In the pool of appeal decision-makers too, but the case's handler: never offered.
        ("hal", "Hal", (Role.HANDLER, Role.APPEAL_DECISION_MAKER)),
        ("ivy", "Ivy", (Role.EXTERNAL_INVESTIGATOR,)),
        ("guardian", "Gwen", (Role.CONFIDENTIAL_CONTACT,)),
        ("adjudicator", "Ada", (Role.APPEAL_DECISION_MAKER,)),
    ):
        user = User.objects.create_user(
            username=username, password="a-long-password-1", first_name=first_name
        )
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        TOTP.activate(user, TOTP_SECRET)
    User.objects.get(username="lead").groups.add(triage)
    case_type = make_case_type(
        slug="bullying",
        name="Bullying and harassment",
        workflow="bullying",
        reporting_levels="anonymous_confidential",
        triage_team=triage,
    )
    Category.objects.create(case_type=case_type, slug="bullying", name="Bullying")
    OrganisationalUnit.objects.create(slug="estates", name="Estates")
    return case_type


@pytest.fixture
def new_page(browser, bullying):
    """A page in a browser context of its own (one a person); the contexts are closed at the
    end, which ends the live server's kept-alive requests and their database connections (on
    PostgreSQL the test database could not be dropped otherwise)."""
    contexts = []

    def make():
        contexts.append(browser.new_context())
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def _checked(page, *absent):
    """axe, reflow and keyboard on the page, and none of ``absent`` in the HTML received."""
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]
    html = page.content()
    assert [marker for marker in absent if marker in html] == []


def _staff(new_page, live_server, username, path="/staff/cases/"):
    page = new_page()
    page.goto(live_server.url + path)
    sign_in(page, username)
    page.wait_for_url("**" + path)
    return page


def _report(page, live_server):
    """The reporter's confidential report, through the report pages."""
    page.goto(live_server.url + "/report/bullying/")
    page.get_by_label("What happened?").fill(REPORT)
    page.get_by_label("Last month").check()
    page.get_by_label("Where did it happen?").select_option(label="Estates")
    page.get_by_label("Bullying", exact=True).check()
    page.get_by_label("Give your name in confidence").check()
    page.locator("#id_confidential_name").fill(NAME)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before sending your report").wait_for()
    page.get_by_role("button", name="Send report").click()
    page.locator("#token").wait_for()
    return Case.objects.get()


def test_five_roles_walk_a_confidential_bullying_case_through_investigation_and_appeal(
    new_page, live_server
):
    case = _report(new_page(), live_server)
    assert case.state == "received"
    case_path = f"/staff/cases/{case.pk}/"

    # Triage lead: finds the new case and gives it to the handler and the investigator.
    lead = _staff(new_page, live_server, "lead")
    lead.get_by_label("New cases only").check()
    lead.get_by_role("button", name="Filter").click()
    _checked(lead, NAME)
    lead.get_by_role("link", name=case.reference).click()
    _checked(lead, NAME)
    lead.get_by_label("Assign to").select_option(label="hal")
    lead.get_by_role("button", name="Assign", exact=True).click()
    lead.get_by_text("The case has been assigned.").wait_for()
    lead.get_by_label("Assign to").select_option(label="ivy")
    until = timezone.localdate() + dt.timedelta(days=30)
    lead.get_by_label("Access ends on (external investigators only)").fill(until.isoformat())
    lead.get_by_role("button", name="Assign", exact=True).click()
    lead.get_by_text("The case has been assigned.").wait_for()
    _checked(lead, NAME)

    # Handler: initial assessment, then a formal investigation; two notes, one shared.
    hal = _staff(new_page, live_server, "hal")
    _checked(hal, NAME)
    hal.get_by_role("link", name=case.reference).click()
    assert hal.get_by_text("Confidential: only the confidential contact knows").is_visible()
    _checked(hal, NAME)
    hal.get_by_role("button", name="Begin the initial assessment").click()
    hal.get_by_text("The case has moved on.").wait_for()
    _checked(hal, NAME)
    hal.get_by_role("button", name="Open a formal investigation").click()
    hal.get_by_text("The case has moved on.").wait_for()
    _checked(hal, NAME)
    for text in (UNSHARED, SHARED):
        hal.get_by_label("An internal note (never shown to the reporter)").check()
        hal.get_by_label("Text", exact=True).fill(text)
        hal.get_by_role("button", name="Add", exact=True).click()
        hal.get_by_text(text).wait_for()
    note = hal.locator(".staff-message", has_text=SHARED)
    note.get_by_text("Share with investigators").click()
    note.get_by_role("button", name="Share", exact=True).click()
    hal.get_by_text("Shared with the investigators.").wait_for()
    _checked(hal, NAME)

    # External investigator: the shared note only, then a note of their own.
    ivy = _staff(new_page, live_server, "ivy")
    _checked(ivy, NAME, "QZREPORT", "QZUNSHARED")
    ivy.get_by_role("link", name=case.reference).click()
    ivy.get_by_text(SHARED).wait_for()
    _checked(ivy, NAME, "QZREPORT", "QZUNSHARED")
    ivy.get_by_label("Text", exact=True).fill("Interviewed both colleagues; notes filed.")
    ivy.get_by_role("button", name="Add", exact=True).click()
    ivy.get_by_text("Note added.").wait_for()
    _checked(ivy, NAME, "QZREPORT", "QZUNSHARED")

    # Confidential contact: who the reporter is (and nothing revealed).
    gwen = _staff(new_page, live_server, "guardian")
    gwen.get_by_role("link", name="Confidential reporters").click()
    gwen.get_by_role("heading", name="Confidential reporters").wait_for()
    _checked(gwen, "QZREPORT", "QZUNSHARED")
    gwen.get_by_role("link", name=case.reference).click()
    assert gwen.locator("#reporter-name").inner_text() == NAME
    _checked(gwen, "QZREPORT", "QZUNSHARED")

    # Handler: reads the investigator's note, records the decision, opens the appeal.
    hal.goto(live_server.url + case_path)
    hal.get_by_text("Interviewed both colleagues; notes filed.").wait_for()
    hal.locator("#outcome-record_decision").select_option(label="Substantiated")
    hal.get_by_role("button", name="Record the decision").click()
    hal.get_by_text("The case has moved on.").wait_for()
    _checked(hal, NAME)
    hal.locator("#reason-open_appeal").fill("The colleague complained about appeals.")
    hal.get_by_role("button", name="Open an appeal").click()
    hal.get_by_text("The case has moved on.").wait_for()
    _checked(hal, NAME)

    # Triage lead: the one person of the pool who took no part decides the appeal.
    lead.goto(live_server.url + "/staff/cases/")
    lead.get_by_role("link", name="Appeals waiting for a decision-maker").click()
    _checked(lead, NAME)
    lead.get_by_role("link", name=case.reference).click()
    lead.get_by_role("heading", name="Who decides the appeal").wait_for()
    offered = lead.get_by_label("Appeal decision-maker").locator("option").all_inner_texts()
    assert [o for o in offered if not o.startswith("-")] == ["Ada"]
    _checked(lead, NAME)
    lead.get_by_label("Appeal decision-maker").select_option(label="Ada")
    lead.get_by_label("Access ends on").fill(
        (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    )
    lead.get_by_role("button", name="Give them the appeal").click()
    lead.get_by_text("the appeal decision-maker can now see the case").wait_for()
    _checked(lead, NAME)

    # Appeal decision-maker: sees what investigators see, decides, and loses the case.
    ada = _staff(new_page, live_server, "adjudicator")
    ada.get_by_role("link", name=case.reference).click()
    ada.get_by_role("button", name="Decide the appeal").wait_for()
    _checked(ada, NAME, "QZREPORT", "QZUNSHARED")
    ada.get_by_label("Outcome").select_option(label="Appeal dismissed")
    ada.get_by_role("button", name="Decide the appeal").click()
    ada.get_by_text("The appeal is decided. Your access to the case has ended").wait_for()
    _checked(ada, NAME, "QZREPORT", "QZUNSHARED")
    assert case.reference not in ada.content()
    assert ada.goto(live_server.url + case_path).status == 404
    _checked(ada, NAME, "QZREPORT", "QZUNSHARED")

    closed = Case.objects.get(pk=case.pk)
    assert (closed.state, closed.outcome) == ("closed", "appeal_dismissed")
    # The handler still reads the closed case and its timeline, never the reporter's name.
    hal.goto(live_server.url + case_path)
    hal.get_by_role("link", name="Timeline", exact=True).click()
    _checked(hal, NAME)
