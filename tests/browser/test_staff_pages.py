"""A handler signs in with a password and a TOTP code in Chromium; every staff page they see
passes axe-core's WCAG 2.2 A/AA rules."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, User

from permissions.roles import Role
from permissions.services import case_assign
from tests.browser.conftest import axe_violations
from tests.builders import make_case, make_case_type
from tests.conftest import TOTP_SECRET, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def assigned(transactional_db):
    triage = Group.objects.create(name="Triage team")
    lead = User.objects.create_user(username="lead", password="a-long-password-1")
    lead.groups.add(triage, Group.objects.get_or_create(name=Role.TRIAGE_LEAD)[0])
    handler = User.objects.create_user(username="handler", password="a-long-password-1")
    handler.groups.add(Group.objects.get_or_create(name=Role.HANDLER)[0])
    TOTP.activate(handler, TOTP_SECRET)
    case = make_case(case_type=make_case_type(name="Whistleblowing", triage_team=triage))
    case_assign(case=case, assignee=handler, actor=lead)
    return case


def test_a_handler_signs_in_with_two_factors_and_works_accessible_pages(
    page, live_server, assigned
):
    page.goto(live_server.url + "/staff/cases/")
    assert "/accounts/login/" in page.url
    assert axe_violations(page) == []
    page.get_by_label("Username").fill("handler")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign In").click()
    assert "/2fa/authenticate" in page.url
    assert axe_violations(page) == []
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/staff/cases/")
    assert axe_violations(page) == []
    page.get_by_role("link", name=assigned.reference).click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Case {assigned.reference}"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("The case has moved on.").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Timeline", exact=True).click()
    page.get_by_text("moved the case from received to acknowledged").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Processes").click()
    assert axe_violations(page) == []
    session = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
