"""A governance lead signs in in Chromium, lands on the reports, changes the period and
opens the stored packs: every page passes axe-core's WCAG 2.2 A/AA rules, the charts are
inline SVG named by their finding, and the strict CSP blocks nothing on the page."""

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, User

from permissions.roles import Role
from tests.browser.conftest import axe_violations
from tests.conftest import TOTP_SECRET, totp_code
from tests.reports.helpers import category, trend_case, trend_type, unit

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def lead_and_cases(transactional_db):
    lead = User.objects.create_user(username="governance", password="a-long-password-1")
    lead.groups.add(Group.objects.get_or_create(name=Role.GOVERNANCE_LEAD)[0])
    TOTP.activate(lead, TOTP_SECRET)
    kind = trend_type(name="Trends")
    bullying, north = category(kind, "bullying"), unit("north")
    for day in range(1, 9):
        trend_case(kind, dt.date(2026, 1, day), category=bullying, org_unit=north)
    return lead


def test_a_governance_lead_lands_on_accessible_reports(page, live_server, lead_and_cases):
    blocked = []
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(live_server.url + "/staff/")
    page.get_by_label("Username").fill("governance")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/staff/reports/")
    page.locator("#id_year").fill("2026")
    page.locator("#id_number").fill("1")
    page.get_by_role("button", name="Show the report").click()
    page.get_by_role("heading", name="Speak up report: Q1 2026, the whole organisation").wait_for()
    assert page.locator("svg[role=img]").count() >= 1
    assert axe_violations(page) == []
    page.locator("#id_number").fill("9")
    page.get_by_role("button", name="Show the report").click()
    page.get_by_text("There is a problem").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Stored report packs").click()
    page.wait_for_url("**/staff/reports/packs/")
    assert axe_violations(page) == []
    assert blocked == []
