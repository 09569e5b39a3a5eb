"""WCAG 1.4.10 reflow: at 320 CSS pixels wide no page scrolls sideways (a wide table may,
inside its own labelled, focusable scrolling region). Every page the browser tests check with
axe is checked for this too (``axe_violations``); this test proves the check can fail."""

import pytest

from tests.browser.conftest import axe_violations, keyboard_problems, reflow_problems, sign_in
from tests.browser.test_staff_pages import assigned  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_case_list_reflows_and_a_page_that_does_not_is_caught(
    page,
    live_server,
    assigned,  # noqa: F811
):
    page.goto(live_server.url + "/staff/cases/")
    sign_in(page)
    page.wait_for_url("**/staff/cases/")
    assert reflow_problems(page) == []
    region = page.get_by_role("region", name="Cases you can open")
    assert region.get_attribute("tabindex") == "0"  # reachable by keyboard, to scroll

    # A filter too wide for the screen (set through the DOM: the CSP refuses inline styles).
    page.evaluate("() => { document.getElementById('type').style.minWidth = '30em'; }")
    assert reflow_problems(page) == ["select#type.govuk-select"]
    assert "reflow-320px" in [violation["id"] for violation in axe_violations(page)]


def test_the_keyboard_walk_finds_a_focus_that_does_not_show(page, live_server, transactional_db):
    page.goto(live_server.url + "/anonymity/")
    assert keyboard_problems(page) == []
    # Every link loses its focus style (set through the DOM: the CSP refuses inline styles).
    page.evaluate(
        """() => document.querySelectorAll('a').forEach((a) => {
          for (const [name, value] of [['outline', 'none'], ['box-shadow', 'none'],
                                       ['background-color', 'transparent']]) {
            a.style.setProperty(name, value, 'important');
          }
        })"""
    )
    unseen = keyboard_problems(page)
    assert unseen and all(what.startswith("a") for what in unseen)
    assert "focus-not-visible" in [violation["id"] for violation in axe_violations(page)]
