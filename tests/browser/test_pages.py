import pytest

from tests.browser.conftest import axe_violations
from tests.builders import make_case_type

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def open_types(transactional_db):
    make_case_type(name="Whistleblowing", description="Wrongdoing in the public interest.")
    make_case_type(name="Report for trends only", workflow="trend_only")


def test_the_start_page_renders_accessibly_and_sets_no_cookie(page, live_server, open_types):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Raise a concern"
    assert page.get_by_role("heading", name="Whistleblowing").is_visible()
    assert axe_violations(page) == []
    assert page.context.cookies() == []
    assert all(url.startswith(live_server.url) for url in requests), requests


def test_the_skip_link_is_the_first_thing_a_keyboard_reaches(page, live_server, open_types):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"


def test_the_accessibility_check_does_find_violations(page):
    # Guards the guard: a page with known faults must not pass.
    page.set_content("<html><body><img src='data:,'><input type='text'></body></html>")
    rules = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "label", "html-has-lang"} <= rules
