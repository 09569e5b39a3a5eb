"""An administrator opens the retention page, changes a policy (with a mistake first) and the
preview; a governance lead places a hold (with a mistake first). Every page passes axe-core's
WCAG 2.2 A/AA rules."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from permissions.roles import Role
from permissions.services import role_grant
from retention.models import LegalHold, RetentionPolicy
from tests.browser.conftest import axe_violations
from tests.builders import make_case, make_case_type
from tests.conftest import TOTP_SECRET, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def people(transactional_db):
    from allauth.mfa.totp.internal.auth import TOTP

    admin = User.objects.create_user(username="alice", password="a-long-password-1")
    role_grant(user=admin, role=Role.ADMINISTRATOR, actor=None)
    lead = User.objects.create_user(username="gwen", password="a-long-password-1")
    lead.groups.add(Group.objects.get_or_create(name=Role.GOVERNANCE_LEAD.value)[0])
    for user in (admin, lead):
        TOTP.activate(user, TOTP_SECRET)
    case = make_case(case_type=make_case_type(name="Whistleblowing"))
    return admin, lead, case


def _sign_in(page, live_server, username: str, offset: int) -> None:
    page.goto(live_server.url + "/staff/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign In").click()
    # Each code works once across the site, so the second person uses the next period's code:
    # with a tolerance of one period it stays valid even when a period ends before it is sent
    # (the previous period's code does not: it is two periods old by then).
    page.get_by_label("Code").fill(totp_code(offset=offset))
    page.get_by_role("button", name="Sign In").click()
    # Administrators and governance leads land on the reports after signing in.
    page.wait_for_url("**/staff/reports/")


def test_retention_and_holds_pages_are_accessible(page, live_server, people):
    _admin, _lead, case = people
    _sign_in(page, live_server, "alice", 0)
    page.get_by_role("link", name="Retention").click()
    page.wait_for_url("**/staff/retention/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Change Whistleblowing").click()
    assert axe_violations(page) == []
    page.get_by_label("Delete the case's content").fill("0")
    page.get_by_role("button", name="Save or propose").click()
    page.get_by_text("There is a problem").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Delete the case's content").fill("500")
    page.get_by_role("button", name="Save or propose").click()
    page.wait_for_url("**/staff/retention/")
    assert RetentionPolicy.objects.get().content_days == 500
    page.get_by_role("link", name="See which cases the next run deletes").click()
    assert axe_violations(page) == []

    page.context.clear_cookies()
    _sign_in(page, live_server, "gwen", 1)
    page.get_by_role("link", name="Legal holds").click()
    page.wait_for_url("**/staff/holds/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Place hold").click()
    page.get_by_text("There is a problem").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Case reference").fill(case.reference)
    page.get_by_label("Why the case must be kept").fill("Employment tribunal claim.")
    review = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    page.get_by_label("Review the hold by").fill(review)
    page.get_by_role("button", name="Place hold").click()
    page.get_by_text("The hold is placed").wait_for()
    assert LegalHold.objects.count() == 1
    assert axe_violations(page) == []
