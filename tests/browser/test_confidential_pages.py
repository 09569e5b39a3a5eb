"""Confidential reporting in Chromium (docs/decisions/0031-confidential-reporting.md): a
reporter chooses to give their name in confidence on the form (the name box revealed under its
level), is told of the level on check-your-answers and on the follow-up page; the confidential
contact finds them on their own page and reveals the identity with a reason; the reporter's
follow-up page then says so, with the reason. axe (and the reflow and focus checks) on every
page on the way."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, User

from cases.models import Case, Category, OrganisationalUnit, ReporterIdentity
from permissions.roles import Role
from tests.browser.conftest import axe_violations, sign_in
from tests.builders import make_case_type
from tests.conftest import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAME = "Rhiannon Marker"
REASON = "Someone named in the report is at risk and the handler must reach the reporter."


@pytest.fixture
def all_levels(transactional_db):
    case_type = make_case_type(slug="whistleblowing", name="Whistleblowing", reporting_levels="all")
    Category.objects.create(case_type=case_type, slug="fraud", name="Fraud")
    OrganisationalUnit.objects.create(slug="finance", name="Finance")
    guardian = User.objects.create_user(username="guardian", password="a-long-password-1")
    guardian.groups.add(Group.objects.get(name=Role.CONFIDENTIAL_CONTACT))
    TOTP.activate(guardian, TOTP_SECRET)
    return case_type


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def test_a_confidential_report_and_its_reveal(page, live_server, all_levels):
    page.goto(live_server.url + "/report/whistleblowing/")
    box = page.locator("#id_confidential_name")
    assert not box.is_visible()  # revealed by its level only (the script hides it)
    _accessible(page)
    page.get_by_label("What happened?").fill("Invoices from one supplier skip every check.")
    page.get_by_label("Last month").check()
    page.get_by_label("Where did it happen?").select_option(label="Finance")
    page.get_by_label("Fraud").check()
    page.get_by_label("Give your name in confidence").check()
    assert box.is_visible() and not page.locator("#id_name").is_visible()
    _accessible(page)
    page.get_by_role("button", name="Continue").click()  # no name: the error, linked
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    page.get_by_role("link", name="Enter your name, or choose to stay anonymous").click()
    assert page.evaluate("document.activeElement.id") == "id_confidential_name"
    box.fill(NAME)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before sending your report").wait_for()
    assert page.get_by_text("Give your name in confidence").is_visible()
    _accessible(page)
    page.get_by_role("button", name="Send report").click()
    token = page.locator("#token").inner_text()
    page.get_by_label("I have written down or saved my case token").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="What happens next").wait_for()
    page.get_by_role("link", name="Follow up your report").click()
    page.get_by_label("Your case token").fill(token)
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("You gave your name in confidence.").wait_for()
    _accessible(page)
    page.get_by_role("button", name="Share my name").click()  # box not ticked: the error
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    case = Case.objects.get()
    assert not ReporterIdentity.objects.get(case=case).shared

    staff = page.context.browser.new_context(ignore_https_errors=True).new_page()
    staff.goto(live_server.url + "/staff/")
    sign_in(staff, "guardian")
    staff.get_by_role("link", name="Confidential reporters").click()
    staff.get_by_role("heading", name="Confidential reporters").wait_for()
    _accessible(staff)
    staff.get_by_role("link", name=case.reference).click()
    assert staff.locator("#reporter-name").inner_text() == NAME
    _accessible(staff)
    staff.get_by_role("button", name="Reveal the identity").click()  # no reason: the error
    staff.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(staff)
    staff.get_by_role("link", name="Enter why you are revealing the reporter's identity").click()
    assert staff.evaluate("document.activeElement.id") == "id_reason"
    staff.get_by_label("Why are you revealing the reporter's identity?").fill(REASON)
    staff.get_by_role("button", name="Reveal the identity").click()
    staff.get_by_text("The reporter's identity is now shown to those working the case.").wait_for()
    _accessible(staff)
    assert ReporterIdentity.objects.get(case=case).revealed_at is not None

    page.reload()
    page.get_by_text("the confidential contact shared your name").wait_for()
    assert page.get_by_text(REASON).is_visible()
    _accessible(page)
