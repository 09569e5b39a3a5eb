"""The follow-up page's time limit in Chromium (issue 16, section 3), with the page's clock
run forward: the warning two minutes before the end, "Keep my follow-up open", the end with
a message typed (kept in the page, sent after the token), and "Copy token". axe-core checks
each state."""

import pytest

from tests.browser.conftest import axe_violations
from tests.browser.test_reporter_journey import open_for_reports  # noqa: F401 (a fixture)
from tests.intake.test_follow_up_timeout import _reporter_bodies

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MINUTE = 60 * 1000


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def _report(page, live_server):
    page.goto(live_server.url + "/report/whistleblowing/")
    page.get_by_label("What happened?").fill("Invoices from one supplier skip every check.")
    page.get_by_label("Last month").check()
    page.get_by_label("Where did it happen?").select_option(label="Finance")
    page.get_by_label("Fraud").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send report").click()
    page.locator("#token").wait_for()
    return page.locator("#token").inner_text()


def test_the_token_can_be_copied(page, live_server, open_for_reports):  # noqa: F811
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    token = _report(page, live_server)
    page.get_by_role("button", name="Copy token").click()
    page.get_by_role("status").get_by_text("Token copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == token
    _accessible(page)


def test_the_warning_keeps_it_open_and_a_typed_message_survives_the_end(
    page,
    live_server,
    open_for_reports,  # noqa: F811
):
    token = _report(page, live_server)
    page.get_by_label("I have written down or saved my case token").check()
    page.get_by_role("button", name="Continue").click()
    page.clock.install()
    page.goto(live_server.url + "/follow-up/")
    page.get_by_label("Your case token").fill(token)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your report").wait_for()
    assert page.get_by_text("this page ends after 15 minutes without activity").is_visible()

    warning = page.get_by_role("dialog", name="Your follow-up will end soon")
    page.clock.run_for(12 * MINUTE)
    assert not warning.is_visible()
    page.clock.run_for(1 * MINUTE + 1000)  # two minutes before the end
    warning.wait_for()
    _accessible(page)
    with page.expect_response(lambda r: r.url.endswith("/follow-up/keep/")) as kept:
        warning.get_by_role("button", name="Keep my follow-up open").click()
    assert kept.value.status == 204
    warning.wait_for(state="hidden")

    # Typing, then the end: the page stays, and says the message is kept.
    page.get_by_label("Your message").fill("The second invoice too.")
    page.clock.run_for(15 * MINUTE + 3000)
    ended = page.get_by_role("dialog", name="Your follow-up has ended")
    ended.wait_for()
    _accessible(page)
    ended.get_by_role("button", name="Close").click()
    # The server's session ends too (here: its cookie goes): sending asks for the token.
    page.context.clear_cookies()
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("Your message has not been sent yet").wait_for()
    _accessible(page)
    assert page.get_by_label("Your message").input_value() == "The second invoice too."
    assert _reporter_bodies() == []
    page.get_by_label("Your case token").fill(token)
    page.get_by_role("button", name="Continue and send message").click()
    page.get_by_text("Your message has been sent.").wait_for()
    _accessible(page)
    assert _reporter_bodies() == ["The second invoice too."]


def test_with_nothing_typed_the_end_shows_the_ended_page(
    page,
    live_server,
    open_for_reports,  # noqa: F811
):
    token = _report(page, live_server)
    page.get_by_label("I have written down or saved my case token").check()
    page.get_by_role("button", name="Continue").click()
    page.clock.install()
    page.goto(live_server.url + "/follow-up/")
    page.get_by_label("Your case token").fill(token)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your report").wait_for()
    page.context.clear_cookies()  # the server's end, as at fifteen idle minutes
    page.clock.run_for(15 * MINUTE + 3000)
    page.get_by_role("heading", name="Your follow-up has ended").wait_for()
    assert page.url == live_server.url + "/follow-up/case/"
