"""Every way a reporter can stumble on the token page, in Chromium: the token stays on screen
until they confirm they have kept it. axe-core checks each page on the way."""

import pytest

from cases.models import Case, Category, OrganisationalUnit
from tests.browser.conftest import axe_violations
from tests.builders import make_case_type

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def open_for_reports(transactional_db):
    case_type = make_case_type(slug="whistleblowing", name="Whistleblowing")
    Category.objects.create(case_type=case_type, slug="fraud", name="Fraud")
    OrganisationalUnit.objects.create(slug="finance", name="Finance")
    return case_type


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def _send_a_report(page, live_server):
    page.goto(live_server.url + "/report/whistleblowing/")
    page.get_by_label("What happened?").fill("Invoices from one supplier skip every check.")
    page.get_by_label("Last month").check()
    page.get_by_label("Where did it happen?").select_option(label="Finance")
    page.get_by_label("Fraud").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before sending your report").wait_for()
    page.get_by_role("button", name="Send report").click()
    page.locator("#token").wait_for()
    return page.locator("#token").inner_text()


def _go_forward(page):
    """Forward, from Chromium's own error page (which takes a moment to attach)."""
    for _ in range(20):
        try:
            page.go_forward()
            return
        except Exception as error:
            if "Not attached" not in str(error):
                raise
            page.wait_for_timeout(100)
    raise AssertionError("could not go forward")


def _confirm_and_leave(page):
    page.get_by_label("I have written down or saved my case token").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="What happens next").wait_for()


def test_the_token_stays_on_screen_until_the_reporter_confirms(page, live_server, open_for_reports):
    # Leaving the page unconfirmed asks first; this reporter always chooses to leave.
    page.on("dialog", lambda dialog: dialog.accept())
    token = _send_a_report(page, live_server)
    assert page.url.endswith("/your-token/")  # reload and Back now ask for the token page
    _accessible(page)

    # Continue without ticking the box: the same page, the same token, and what to do.
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.locator("#token").inner_text() == token
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link").get_attribute("href") == "#kept"
    assert page.title().startswith("Error:")
    _accessible(page)

    # Reload, then Back: the token each time.
    page.reload()
    assert page.locator("#token").inner_text() == token
    page.go_back()
    assert page.locator("#token").inner_text() == token
    _accessible(page)

    # Back once more, to the answers that were sent: the browser will not show that page
    # again without sending it, but Forward brings the token back.
    with pytest.raises(Exception, match="ERR_CACHE_MISS"):
        page.go_back()
    _go_forward(page)
    assert page.locator("#token").inner_text() == token

    _confirm_and_leave(page)
    _accessible(page)
    assert page.context.cookies() == []
    # Once confirmed, the token is gone from this browser for good.
    page.go_back()
    page.get_by_role("heading", name="Your case token cannot be shown again").wait_for()
    assert page.locator("#token").count() == 0
    _accessible(page)
    assert Case.objects.count() == 1


def test_without_javascript_the_token_stays_on_screen_too(browser, live_server, open_for_reports):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    token = _send_a_report(page, live_server)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.locator("#token").inner_text() == token
    page.reload()  # sends the Continue form again
    assert page.locator("#token").inner_text() == token
    _confirm_and_leave(page)
    assert context.cookies() == []
    context.close()
    assert Case.objects.count() == 1


def test_the_downloaded_receipt_checks_as_genuine_on_accessible_pages(
    page, live_server, open_for_reports, tmp_path
):
    _send_a_report(page, live_server)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download a receipt").click()
    saved = tmp_path / "speak-up-receipt.txt"
    download.value.save_as(saved)
    page.get_by_role("link", name="Check a receipt").click()
    page.get_by_role("heading", name="Check a receipt").wait_for()
    _accessible(page)
    page.get_by_role("button", name="Check the receipt").click()  # nothing chosen
    page.get_by_role("link", name="Upload the receipt, or paste its text into the box.").click()
    assert page.evaluate("document.activeElement.id") == "id_receipt_file"
    _accessible(page)
    page.get_by_label("Upload the receipt").set_input_files(str(saved))
    page.get_by_role("button", name="Check the receipt").click()
    page.get_by_role("heading", name="This receipt is genuine").wait_for()
    _accessible(page)
