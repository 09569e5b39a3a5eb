"""From a new report to its outcome in Chromium: a triage lead assigns a new case, the handler
acknowledges it and messages the reporter, the reporter reads it by token, the handler records
an outcome and closes the case. axe-core checks every staff page on the way."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, User

from cases.models import Case
from permissions.roles import Role
from tests.browser.conftest import axe_violations
from tests.builders import make_case, make_case_type
from tests.conftest import TOTP_SECRET, totp_code
from workflows.registry import state_label

# Several browsers at once hit the live server in parallel: that needs PostgreSQL, not the
# shared in-memory SQLite connection of the first pass.
pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
PASSWORD = "a-long-password-1"


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def _staff(username, *groups):
    user = User.objects.create_user(username=username, password=PASSWORD)
    for group in groups:
        user.groups.add(group)
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def _live_connections_closed(transactional_db):
    """The live server's request threads keep their own connections; end them afterwards so
    the test database can be dropped."""
    yield
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND usename = current_user"  # the application's role may end only its own
        )


@pytest.fixture
def new_case(_live_connections_closed):
    triage = Group.objects.create(name="Whistleblowing triage")
    _staff("lead", triage, Group.objects.get_or_create(name=Role.TRIAGE_LEAD)[0])
    _staff("pat.smith", Group.objects.get_or_create(name=Role.HANDLER)[0])
    case_type = make_case_type(name="Whistleblowing", triage_team=triage)
    return make_case(case_type=case_type, with_token=True)


def _sign_in(browser, live_server, username, code_offset):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/staff/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # Each code works once across the site: the second person uses the next period's code.
    page.get_by_label("Code").fill(totp_code(offset=code_offset))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/staff/cases/")
    return page


def test_from_triage_to_a_closed_case(browser, live_server, new_case):
    case, token = new_case
    lead = _sign_in(browser, live_server, "lead", 0)
    lead.get_by_label("New cases only").check()
    lead.get_by_role("button", name="Filter").click()
    _accessible(lead)
    lead.get_by_role("link", name=case.reference).click()
    _accessible(lead)
    lead.get_by_label("Assign to").select_option(label="pat.smith")
    lead.get_by_role("button", name="Assign", exact=True).click()
    lead.get_by_text("The case has been assigned.").wait_for()

    handler = _sign_in(browser, live_server, "pat.smith", 1)
    _accessible(handler)
    handler.get_by_role("link", name=case.reference).click()
    handler.get_by_role("button", name="Acknowledge").click()
    handler.get_by_text("The case has moved on.").wait_for()
    _accessible(handler)
    handler.get_by_label("Text").fill("Thank you. We are looking into this.")
    handler.get_by_role("button", name="Add", exact=True).click()
    handler.get_by_text("Message sent to the reporter.").wait_for()

    reporter = browser.new_context().new_page()
    reporter.goto(live_server.url + "/follow-up/")
    reporter.get_by_label("Your case token").fill(token)
    reporter.get_by_role("button", name="Continue").click()
    reporter.get_by_text("Thank you. We are looking into this.").wait_for()
    assert "pat.smith" not in reporter.content()

    handler.get_by_role("button", name="Begin the assessment").click()
    handler.get_by_text("The case has moved on.").wait_for()
    handler.locator("#outcome-record_outcome").select_option(label="Not substantiated")
    handler.get_by_role("button", name="Record the outcome").click()
    handler.get_by_text("The case has moved on.").wait_for()
    handler.get_by_role("button", name="Close").click()
    handler.get_by_text("The case has moved on.").wait_for()
    _accessible(handler)
    handler.get_by_role("link", name="Timeline", exact=True).click()
    words = [state_label(case.case_type.workflow, state) for state in ("outcome", "closed")]
    handler.get_by_text("moved the case from {} to {}".format(*words)).wait_for()
    _accessible(handler)
    closed = Case.objects.get(pk=case.pk)
    assert (closed.state, closed.outcome) == ("closed", "not_substantiated")


@pytest.fixture
def investigated_case(_live_connections_closed):
    """A case under investigation with a handler and an external investigator on it, and two
    messages from the reporter, neither shared yet."""
    import datetime as dt

    from django.utils import timezone

    from cases.models import MessageKind
    from cases.services import message_add
    from permissions.services import case_assign

    triage = Group.objects.create(name="Whistleblowing triage")
    lead = _staff("lead", triage, Group.objects.get_or_create(name=Role.TRIAGE_LEAD)[0])
    handler = _staff("pat.smith", Group.objects.get_or_create(name=Role.HANDLER)[0])
    investigator = _staff(
        "ivy.jones", Group.objects.get_or_create(name=Role.EXTERNAL_INVESTIGATOR)[0]
    )
    case_type = make_case_type(name="Whistleblowing", triage_team=triage)
    case = make_case(case_type=case_type, state="investigation")
    case_assign(case=case, assignee=handler, actor=lead)
    case_assign(
        case=case,
        assignee=investigator,
        actor=lead,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    named = message_add(
        case=case, kind=MessageKind.FROM_REPORTER, body="The manager QZNAMED shouted at me."
    )
    message_add(case=case, kind=MessageKind.FROM_REPORTER, body="QZUNSHARED: my address is...")
    return case, named


def test_a_handler_shares_a_redacted_message_and_the_investigator_sees_only_that(
    browser, live_server, investigated_case
):
    case, named = investigated_case
    handler = _sign_in(browser, live_server, "pat.smith", 0)
    handler.get_by_role("link", name=case.reference).click()
    message = handler.locator(f"#message-{named.pk}")
    message.get_by_text("Share with investigators").click()
    message.get_by_label("Redacted copy (optional)").fill("The manager [name] shouted at me.")
    message.get_by_role("button", name="Share", exact=True).click()
    handler.get_by_text("Shared with the investigators.").wait_for()
    _accessible(handler)

    investigator = _sign_in(browser, live_server, "ivy.jones", 1)
    investigator.get_by_role("link", name=case.reference).click()
    investigator.get_by_text("The manager [name] shouted at me.").wait_for()
    _accessible(investigator)
    html = investigator.content()
    assert "QZNAMED" not in html and "QZUNSHARED" not in html
    investigator.get_by_label("Text").fill("Interviewed the witness.")
    investigator.get_by_role("button", name="Add", exact=True).click()
    investigator.get_by_text("Note added.").wait_for()
    _accessible(investigator)
