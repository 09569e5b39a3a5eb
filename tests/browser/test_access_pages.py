"""A new administrator signs in for the first time in Chromium: sets up the second factor
inside the sign-in, opens the access page and proposes a change, then their account page and
the service's health page.
Every page passes axe-core's WCAG 2.2 A/AA rules."""

import pytest
from django.contrib.auth.models import User

from permissions.models import AccessChange
from permissions.roles import Role
from permissions.services import role_grant
from tests.browser.conftest import axe_violations
from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def newcomer(transactional_db):
    User.objects.create_user(username="governance", password="a-long-password-1")
    user = User.objects.create_user(username="alice", password="a-long-password-1")
    role_grant(user=user, role=Role.ADMINISTRATOR, actor=None)
    return user


def test_first_sign_in_access_page_and_account_page_are_accessible(page, live_server, newcomer):
    page.goto(live_server.url + "/staff/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/accounts/2fa/enrol/")
    assert axe_violations(page) == []
    secret = page.locator(".staff-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Finish signing in").click()
    page.get_by_text("There is a problem").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Code from your authenticator app").fill(totp_code(secret))
    page.get_by_role("button", name="Finish signing in").click()
    # Administrators land on the reports (nothing to show yet), then go to the access page.
    page.wait_for_url("**/staff/reports/")
    page.get_by_text("Too few cases to show.").first.wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Access").click()
    page.wait_for_url("**/staff/access/")
    assert axe_violations(page) == []
    page.locator("#role-user").select_option(label="governance")
    page.locator("#role-role").select_option(label=Role.HANDLER.value)
    page.get_by_role("button", name="Propose role change").click()
    page.get_by_text("takes effect when another administrator confirms it").wait_for()
    assert AccessChange.objects.count() == 1
    assert axe_violations(page) == []
    page.get_by_role("link", name="alice").click()
    page.wait_for_url("**/staff/account/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Health").click()  # no heartbeat yet: the problem summary
    page.wait_for_url("**/staff/health/")
    page.get_by_text("Part of the service is not working").wait_for()
    assert axe_violations(page) == []
