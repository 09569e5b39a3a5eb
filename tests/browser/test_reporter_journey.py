"""A reporter's whole journey in Chromium: report with a file, keep the token, follow up, read
the handler's message, reply, sign out. axe-core checks every page on the way."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Category, Evidence, MessageKind, OrganisationalUnit
from cases.selectors import message_list_for_case
from cases.services import message_add
from tests.browser.conftest import axe_violations
from tests.builders import make_case_type

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def open_for_reports(transactional_db):
    case_type = make_case_type(
        slug="whistleblowing", name="Whistleblowing", description="Wrongdoing at work."
    )
    Category.objects.create(case_type=case_type, slug="fraud", name="Fraud")
    OrganisationalUnit.objects.create(slug="finance", name="Finance")
    return case_type


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def test_a_reporter_files_follows_up_and_replies(page, live_server, open_for_reports, tmp_path):
    page.goto(live_server.url + "/")
    _accessible(page)
    assert page.context.cookies() == []
    page.get_by_role("link", name="Whistleblowing").click()
    _accessible(page)
    page.get_by_role("button", name="Continue").click()  # empty: the error summary
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    page.get_by_label("What happened?").fill("Invoices from one supplier skip every check.")
    page.get_by_label("Last month").check()
    page.get_by_label("Where did it happen?").select_option(label="Finance")
    page.get_by_label("Fraud").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before sending your report").wait_for()
    _accessible(page)
    # "Change" goes back to its question with every answer kept, and back again.
    page.get_by_role("button", name="Change When did it happen?").click()
    page.wait_for_url("**/report/whistleblowing/#id_when")
    assert page.get_by_label("Last month").is_checked()
    assert page.get_by_label("What happened?").input_value() == (
        "Invoices from one supplier skip every check."
    )
    _accessible(page)
    page.get_by_label("This month").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your answers before sending your report").wait_for()
    page.get_by_text("This month", exact=True).wait_for()
    evidence = tmp_path / "notes.txt"
    evidence.write_text("Dates and amounts of the invoices.\n")
    page.get_by_label("Add evidence (optional)").set_input_files(str(evidence))
    page.get_by_role("button", name="Send report").click()
    page.locator("#token").wait_for()
    token = page.locator("#token").inner_text()
    assert len(token.replace("-", "")) == 28
    _accessible(page)
    # Only the token page's short-lived "show again", sealed, HttpOnly, Secure and Strict.
    (shown,) = page.context.cookies()
    assert shown["name"] == "__Host-speakup-token" and token not in shown["value"]
    assert shown["httpOnly"] and shown["secure"] and shown["sameSite"] == "Strict"
    page.get_by_label("I have written down or saved my case token").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="What happens next").wait_for()
    _accessible(page)
    assert page.context.cookies() == []

    case = Case.objects.get()
    assert Evidence.objects.filter(case=case).count() == 1
    handler = User.objects.create_user(username="handler")
    message_add(
        case=case, kind=MessageKind.TO_REPORTER, body="Thank you. Which supplier?", author=handler
    )

    page.get_by_role("link", name="Follow up your report").click()
    _accessible(page)
    page.get_by_label("Your case token").fill(token.lower().replace("-", " "))
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Thank you. Which supplier?").wait_for()
    _accessible(page)
    cookie = next(c for c in page.context.cookies() if c["name"].startswith("__Host-"))
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    page.get_by_label("Your message").fill("The cleaning contractor.")
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("The cleaning contractor.").wait_for()
    assert [m.body for m in message_list_for_case(case, include_internal=False)][
        -1
    ] == "The cleaning contractor."
    page.get_by_role("button", name="Sign out and clear this site's data").click()
    page.get_by_role("heading", name="You have signed out").wait_for()
    _accessible(page)
    assert page.context.cookies() == []


def test_the_other_reporter_pages_are_accessible_too(page, live_server, open_for_reports):
    make_case_type(slug="trends", name="Report for trends only", workflow="trend_only")
    for path in ("/anonymity/", "/report/trends/", "/follow-up/"):
        page.goto(live_server.url + path)
        _accessible(page)
    page.get_by_label("Your case token").fill("not-a-real-token")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("No report matches that token").first.wait_for()
    _accessible(page)
    page.goto(live_server.url + "/follow-up/case/")  # no session: the ended page
    _accessible(page)


def test_the_check_in_after_closure_is_accessible_and_answered_once(
    page, live_server, transactional_db
):
    from tests.builders import make_case

    case_type = make_case_type(slug="speak", name="Speak up", checkin_after_weeks=0)
    case, token = make_case(case_type=case_type, state="closed", with_token=True)
    page.goto(live_server.url + "/follow-up/")
    page.get_by_label("Your case token").fill(token)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Answer this question").click()
    question = "Since your report was closed, has anyone treated you worse because of it?"
    page.get_by_role("heading", name=question).wait_for()
    _accessible(page)
    page.get_by_role("button", name="Send your answer").click()  # nothing chosen
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    page.get_by_label("Yes").check()
    page.get_by_label("Anything you want to tell us (optional)").fill("I lost my shifts.")
    page.get_by_role("button", name="Send your answer").click()
    page.get_by_role("heading", name="Thank you for answering").wait_for()
    _accessible(page)
    case.refresh_from_db()
    assert case.checkin_answer == "yes" and case.attention_since is not None
