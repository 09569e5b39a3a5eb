"""A leaving step in Chromium: confirmed on its own page, its error linked to the reason (which
takes the focus), and accessible (axe and reflow) at every stage."""

import pytest

from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_staff_pages import assigned  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_withdrawing_a_case_is_confirmed_with_a_reason(page, live_server, assigned):  # noqa: F811
    case_url = f"{live_server.url}/staff/cases/{assigned.pk}/"
    page.goto(case_url)
    sign_in(page)
    page.wait_for_url(case_url)
    page.get_by_role("link", name="Withdraw the case").click()
    page.get_by_role("heading", name="Are you sure: Withdraw the case?").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Withdraw the case").click()
    page.get_by_role("link", name="Give a reason for this step.").click()
    assert page.evaluate("document.activeElement.id") == "reason"
    assert axe_violations(page) == []
    page.get_by_label("Why (kept as an internal note)").fill("The reporter asked us to stop.")
    page.get_by_role("button", name="Withdraw the case").click()
    page.wait_for_url(case_url)
    page.get_by_text("The case has moved on.").wait_for()
    assert axe_violations(page) == []
