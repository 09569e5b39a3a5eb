"""A triage lead records a report taken by phone in Chromium and gets the receipt to hand over;
axe (and the reflow and keyboard checks) pass on every page, the kind's choice first (their
team records two kinds; one is for trends only, whose page asks no contact), the questions
with and without errors, the receipt; and the token on it opens the follow-up page."""

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import User
from django.utils import timezone

from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_staff_pages import assigned  # noqa: F401 (a fixture)
from tests.builders import make_case_type
from tests.conftest import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_phone_report_is_recorded_and_its_receipt_handed_over(
    page,
    live_server,
    assigned,  # noqa: F811
):
    TOTP.activate(User.objects.get(username="lead"), TOTP_SECRET)
    make_case_type(
        name="Trends only", workflow="trend_only", triage_team=assigned.case_type.triage_team
    )
    page.goto(live_server.url + "/staff/cases/")
    sign_in(page, "lead")
    page.get_by_role("link", name="Record a report received by phone").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Continue").click()  # no kind chosen
    page.get_by_role("link", name="Choose the kind of report.").click()
    assert axe_violations(page) == []
    page.get_by_label("Trends only").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("nobody will contact the reporter").wait_for()
    assert page.get_by_label("How can we contact them? (optional)").count() == 0
    assert axe_violations(page) == []
    page.get_by_role("link", name="Change the kind of report").click()
    page.get_by_label("Whistleblowing").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("How can we contact them? (optional)").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the report").click()  # nothing filled in
    page.get_by_role("link", name="Write what happened.").click()
    assert page.evaluate("document.activeElement.id") == "id_what_happened"
    assert axe_violations(page) == []

    page.get_by_label("Phone").check()
    received = timezone.localdate() - dt.timedelta(days=3)
    page.get_by_label("Day it was received").fill(received.isoformat())
    page.get_by_label("What happened?").fill("Safety checks are signed without being done.")
    page.get_by_role("button", name="Save the report").click()
    page.get_by_role("heading", name="Your report has been received").wait_for()
    assert axe_violations(page) == []
    token = page.locator("#token").inner_text()
    assert page.get_by_role("button", name="Print the receipt").is_visible()

    reporter = page.context.browser.new_context(ignore_https_errors=True).new_page()
    reporter.goto(live_server.url + "/follow-up/")
    reporter.get_by_label("Your case token").fill(token)
    reporter.get_by_role("button", name="Continue").click()
    reporter.get_by_text(f"You made your report on {received.day} {received:%B %Y}.").wait_for()
