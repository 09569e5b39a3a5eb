"""Linking two cases in Chromium (docs/decisions/0033-linked-cases.md): the handler opens the
link page from the case page, is told clearly when the reference is not one they can open (the
error linked to the field, which takes the focus, what was typed kept), links the cases, sees
the other case in the panel and removes the link. axe, reflow at 320 pixels and a keyboard walk
at every stage."""

import pytest

from cases.models import CaseLink
from permissions.services import case_assign
from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_staff_pages import assigned  # noqa: F401 (a fixture)
from tests.builders import make_case

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def test_a_handler_links_two_cases_and_removes_the_link(page, live_server, assigned):  # noqa: F811
    from django.contrib.auth.models import User

    other = make_case(case_type=assigned.case_type, answers={"what_happened": "Again."})
    case_assign(
        case=other,
        assignee=User.objects.get(username="handler"),
        actor=User.objects.get(username="lead"),
    )
    case_url = f"{live_server.url}/staff/cases/{assigned.pk}/"
    page.goto(case_url)
    sign_in(page)
    page.wait_for_url(case_url)
    page.get_by_role("heading", name="Linked cases").wait_for()
    page.get_by_text("No linked cases.").wait_for()
    page.get_by_role("link", name="Link to another case").click()
    page.get_by_role("heading", name="Link to another case").wait_for()
    _accessible(page)

    page.get_by_label("Reference of the other case").fill("ZZZZ-ZZZZ")
    page.get_by_label("Same person").check()
    page.get_by_label("Note (optional)").fill("The same manager is named.")
    page.get_by_role("button", name="Link the cases").click()
    assert page.title().startswith("Error:")
    message = "No case you can open has that reference. Check it on the other case's page."
    page.get_by_role("link", name=message).click()
    assert page.evaluate("document.activeElement.id") == "id_reference"
    assert page.get_by_label("Note (optional)").input_value() == "The same manager is named."
    _accessible(page)

    page.get_by_label("Reference of the other case").fill(other.reference.lower())
    page.get_by_role("button", name="Link the cases").click()
    page.wait_for_url(case_url + "#links")
    page.get_by_text("The cases are linked.").wait_for()
    page.get_by_role("link", name=other.reference).wait_for()
    page.get_by_text("The same manager is named.").wait_for()
    _accessible(page)
    assert CaseLink.objects.count() == 2

    page.get_by_role("button", name=f"Remove link {other.reference}").click()
    page.get_by_text("The link is removed.").wait_for()
    page.get_by_text("No linked cases.").wait_for()
    assert not CaseLink.objects.exists()
    page.get_by_role("link", name="Timeline", exact=True).click()
    page.get_by_text(f"removed the link between this case and {other.reference}").wait_for()
    _accessible(page)
