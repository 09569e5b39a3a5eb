"""Outcomes and an appeal's independent decision-maker in Chromium (docs/decisions/0032): an
administrator adds an outcome on the settings pages; the triage lead gives a bullying case's
appeal to someone from the pool who took no part; the decision-maker signs in, sees the case
and decides the appeal with the new outcome, and the case is gone from their list. Each page
passes axe-core, reflow at 320 pixels and the keyboard walk, errors included."""

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, User
from django.utils import timezone

from cases.models import Case
from permissions.roles import Role
from permissions.services import case_assign
from tests.browser.conftest import axe_violations, sign_in
from tests.builders import make_case, make_case_type
from tests.conftest import TOTP_SECRET
from workflows.services import case_transition

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


@pytest.fixture
def appeal(transactional_db):
    triage = Group.objects.create(name="Bullying triage")
    people = {}
    for username, role in (
        ("lead", Role.TRIAGE_LEAD),
        ("handler", Role.HANDLER),
        ("adjudicator", Role.APPEAL_DECISION_MAKER),
        ("alice", Role.ADMINISTRATOR),
    ):
        user = User.objects.create_user(
            username=username, password="a-long-password-1", first_name=username.title()
        )
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        TOTP.activate(user, TOTP_SECRET)
        people[username] = user
    people["lead"].groups.add(triage)
    case_type = make_case_type(name="Bullying and harassment", workflow="bullying")
    case_type.triage_team = triage
    case_type.save(update_fields=["triage_team"])
    case = make_case(case_type=case_type, state="formal_investigation")
    case_assign(case=case, assignee=people["handler"], actor=people["lead"])
    case = case_transition(
        case=case, name="record_decision", actor=people["handler"], outcome="substantiated"
    )
    case = case_transition(case=case, name="open_appeal", actor=people["handler"], reason="R.")
    return case


def test_an_outcome_added_then_an_appeal_decided_by_an_independent_decision_maker(
    page, live_server, appeal
):
    # The administrator adds an outcome, with a mistake first.
    page.goto(live_server.url + "/staff/settings/outcomes/")
    sign_in(page, "alice")
    page.wait_for_url("**/staff/settings/outcomes/")
    _accessible(page)
    page.get_by_role("link", name="Add an outcome to Bullying and harassment").click()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    page.get_by_label("Name", exact=True).fill("Upheld: censure with consent")
    page.get_by_label("Short name", exact=True).fill("censure-with-consent")
    page.get_by_role("group", name="Counts as substantiated in the reports").get_by_label(
        "Yes"
    ).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("cell", name="Upheld: censure with consent", exact=True).wait_for()
    _accessible(page)
    page.locator("#staff-signout button").click()

    # The triage lead gives the appeal to someone from the pool, with a mistake first.
    page.goto(live_server.url + "/staff/cases/")
    sign_in(page, "lead")  # each person their own code: replay is refused per person
    page.wait_for_url("**/staff/cases/")
    page.get_by_role("link", name="Appeals waiting for a decision-maker").click()
    _accessible(page)
    page.get_by_role("link", name=appeal.reference).click()
    page.get_by_role("heading", name="Who decides the appeal").wait_for()
    _accessible(page)
    page.get_by_role("button", name="Give them the appeal").click()
    page.get_by_role("link", name="Choose who decides the appeal.").click()
    assert page.evaluate("document.activeElement.id") == "id_decider"
    _accessible(page)
    page.get_by_label("Appeal decision-maker").select_option(label="Adjudicator")
    until = timezone.localdate() + dt.timedelta(days=14)
    page.get_by_label("Access ends on").fill(until.isoformat())
    page.get_by_role("button", name="Give them the appeal").click()
    page.get_by_text("the appeal decision-maker can now see the case").wait_for()
    _accessible(page)
    page.locator("#staff-signout button").click()

    # The decision-maker sees the case and decides the appeal.
    page.goto(live_server.url + "/staff/cases/")
    sign_in(page, "adjudicator")
    page.wait_for_url("**/staff/cases/")
    page.get_by_role("link", name=appeal.reference).click()
    page.get_by_role("button", name="Decide the appeal").wait_for()
    _accessible(page)
    page.get_by_role("button", name="Decide the appeal").click()
    page.get_by_role("link", name="Choose the outcome before recording it.").wait_for()
    _accessible(page)
    page.get_by_label("Outcome").select_option(label="Upheld: censure with consent")
    page.get_by_role("button", name="Decide the appeal").click()
    page.get_by_text("The appeal is decided. Your access to the case has ended").wait_for()
    _accessible(page)
    decided = Case.objects.get(pk=appeal.pk)
    assert (decided.state, decided.outcome) == ("closed", "censure-with-consent")
    assert appeal.reference not in page.content()
