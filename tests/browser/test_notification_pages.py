"""A handler follows the header's count to the notification list, marks one read, opens the
case from it, and chooses the daily digest on their account page; every page passes
axe-core's WCAG 2.2 A/AA rules."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, User

from notifications.kinds import CASE_NEWS, DEADLINE_OVERDUE
from notifications.models import EmailChoice, EmailPreference
from notifications.services import notify
from permissions.roles import Role
from permissions.services import case_assign
from tests.browser.conftest import axe_violations
from tests.builders import make_case, make_case_type
from tests.conftest import TOTP_SECRET, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def waiting(transactional_db):
    triage = Group.objects.create(name="Triage team")
    lead = User.objects.create_user(username="lead", password="a-long-password-1")
    lead.groups.add(triage, Group.objects.get_or_create(name=Role.TRIAGE_LEAD)[0])
    handler = User.objects.create_user(username="handler", password="a-long-password-1")
    handler.groups.add(Group.objects.get_or_create(name=Role.HANDLER)[0])
    TOTP.activate(handler, TOTP_SECRET)
    case = make_case(case_type=make_case_type(triage_team=triage))
    case_assign(case=case, assignee=handler, actor=lead)
    notify([handler], DEADLINE_OVERDUE, case)
    notify([handler], CASE_NEWS, case)
    return handler


def test_the_notification_list_and_the_email_choice_are_usable_and_accessible(
    page, live_server, waiting
):
    page.goto(live_server.url + "/staff/cases/")
    page.get_by_label("Username").fill("handler")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/staff/cases/")
    page.get_by_role("link", name="1 case needs your attention").click()
    page.wait_for_url("**/staff/notifications/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Mark as read").first.click()
    page.get_by_text("Read", exact=True).wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="A deadline on a case has passed").click()
    page.wait_for_url("**/staff/cases/*/")
    page.get_by_role("link", name="your account").click()
    page.get_by_label("Once a day, in one e-mail").check()
    page.get_by_role("button", name="Save e-mail choice").click()
    page.get_by_text("Your choice of e-mails is saved.").wait_for()
    assert axe_violations(page) == []
    assert EmailPreference.objects.get(user=waiting).email == EmailChoice.DIGEST
