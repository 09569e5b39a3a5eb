"""The idle sign-out, warned before it happens (issue 15, section 6): "Stay signed in" keeps the
session; when it ends, typed text stays on the page, and signing in again returns to the page.

The idle limit is cut to 6 seconds for these tests (the warning then comes at half of it)."""

import re

import pytest

from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_staff_pages import assigned as assigned_case  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IDLE = 6


@pytest.fixture
def assigned(assigned_case, settings):  # noqa: F811
    """A case assigned to ``handler``, whose sessions end after ``IDLE`` seconds idle."""
    settings.SPEAKUP_STAFF_IDLE_SECONDS = IDLE
    return assigned_case


def test_the_idle_warning_keeps_the_session_and_the_typed_text(page, live_server, assigned):
    case_url = f"{live_server.url}/staff/cases/{assigned.pk}/"
    page.goto(case_url)
    sign_in(page)
    page.wait_for_url(case_url)

    warning = page.get_by_role("dialog", name="You will be signed out soon")
    warning.wait_for(timeout=IDLE * 1000)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Stay signed in").click()
    warning.wait_for(state="hidden")
    # The session was moved on: a page asked for now is served, not sent to sign in.
    page.wait_for_timeout(IDLE * 1000 // 2 - 500)
    assert not warning.is_visible()

    page.get_by_label("Text").fill("A half-written message about the meeting")
    ended = page.get_by_role("dialog", name="You have been signed out")
    ended.wait_for(timeout=(IDLE + 4) * 1000)
    assert page.get_by_label("Text").input_value() == "A half-written message about the meeting"
    assert axe_violations(page) == []
    page.get_by_role("link", name="Sign in again").click()
    assert re.search(r"/accounts/login/\?timed_out=1&next=", page.url)
    sign_in(page, offset=1)
    page.wait_for_url(case_url)


def test_with_nothing_typed_the_page_goes_to_sign_in_and_comes_back(page, live_server, assigned):
    case_url = f"{live_server.url}/staff/cases/{assigned.pk}/"
    page.goto(case_url)
    sign_in(page)
    page.wait_for_url(case_url)
    page.wait_for_url("**/accounts/login/?timed_out=1&next=*", timeout=(IDLE + 4) * 1000)
    page.get_by_text("You were signed out because you had not done anything").wait_for()
    assert axe_violations(page) == []
    sign_in(page, offset=1)
    page.wait_for_url(case_url)
