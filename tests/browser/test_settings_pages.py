"""An administrator configures a new kind of report entirely through the settings pages (its
category, a deadline, a unit, a support resource, a campaign and the branding, previewed
before it is saved), then a reporter files a report of that kind and sees the branding, the
campaign and the signposting. axe-core checks every settings page, errors included."""

import io

import pytest
from django.contrib.auth.models import User
from PIL import Image

from cases.models import Case, CaseType
from intake.models import Branding
from permissions.roles import Role
from permissions.services import role_grant
from tests.browser.conftest import axe_violations
from tests.conftest import TOTP_SECRET, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def administrator(transactional_db):
    from allauth.mfa.totp.internal.auth import TOTP

    admin = User.objects.create_user(username="alice", password="a-long-password-1")
    role_grant(user=admin, role=Role.ADMINISTRATOR, actor=None)
    TOTP.activate(admin, TOTP_SECRET)
    return admin


def _accessible(page):
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def _field(page, label):
    return page.get_by_label(label, exact=True)


def _save(page):
    page.get_by_role("button", name="Save", exact=True).click()


def test_an_administrator_configures_a_kind_that_a_reporter_then_uses(
    page, live_server, administrator, tmp_path
):
    page.goto(live_server.url + "/staff/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/staff/reports/")
    page.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url("**/staff/settings/")
    _accessible(page)

    # A kind of report, with a mistake first.
    page.get_by_role("link", name="Add a kind of report").click()
    _accessible(page)
    _save(page)
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    _field(page, "Name").fill("Safety at work")
    _field(page, "Name in Welsh").fill("Diogelwch yn y gwaith")
    _field(page, "Short name for web addresses").fill("safety")
    _field(page, "Introduction").fill("Tell us about danger to health or safety.")
    page.get_by_label("Whistleblowing").check()
    page.get_by_role("group", name="Open for reports").get_by_label("Yes").check()
    _save(page)
    page.get_by_role("heading", name="Safety at work").wait_for()
    _accessible(page)
    case_type = CaseType.objects.get(slug="safety")

    page.get_by_role("link", name="Add a category to Safety at work").click()
    _accessible(page)
    _field(page, "Name").fill("Unsafe equipment")
    _field(page, "Short name").fill("equipment")
    _save(page)
    page.get_by_role("cell", name="Unsafe equipment", exact=True).wait_for()

    page.get_by_role("link", name="Change the deadlines of Safety at work").click()
    _accessible(page)
    _field(page, "Acknowledge receipt within").fill("0")
    _save(page)
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    _field(page, "Acknowledge receipt within").fill("5")
    _save(page)
    page.get_by_text("5 calendar days").wait_for()
    case_type.refresh_from_db()
    assert case_type.acknowledge_within_days == 5

    # A new kind is anonymous only; offering confidential reporting waits for a second
    # administrator (nobody confirms it here, so the reporter below is not asked a name).
    assert case_type.reporting_levels == "anonymous"
    page.get_by_role("link", name="Change the reporting levels of Safety at work").click()
    _accessible(page)
    page.get_by_label("Stay anonymous or give their name in confidence").check()
    _save(page)
    page.get_by_text("A second administrator must confirm it").wait_for()
    _accessible(page)
    case_type.refresh_from_db()
    assert case_type.reporting_levels == "anonymous"

    page.get_by_role("link", name="Change the reminders of Safety at work").click()
    _accessible(page)
    _field(page, "Remind this many working days before the due day").fill("3")
    _field(page, "Escalation contact").select_option(label="alice (administrator)")
    _save(page)
    page.get_by_text("3 working days before").wait_for()

    # A unit, a support resource for the new category, and a campaign.
    page.goto(live_server.url + "/staff/settings/units/")
    _accessible(page)
    page.get_by_role("link", name="Add a unit").click()
    _accessible(page)
    _field(page, "Name").fill("Warehouse")
    _field(page, "Short name").fill("warehouse")
    page.get_by_role("group", name="In use").get_by_label("Yes").check()
    _save(page)
    page.get_by_role("link", name="Warehouse").wait_for()

    page.goto(live_server.url + "/staff/settings/support/")
    _accessible(page)
    page.get_by_role("link", name="Add a support resource").click()
    _accessible(page)
    _field(page, "Title").fill("Safety representatives")
    _field(page, "Description").fill("Your union safety rep can help.")
    page.get_by_label("Safety at work: Unsafe equipment").check()
    page.get_by_role("group", name="Shown to reporters").get_by_label("Yes").check()
    _save(page)
    page.get_by_role("link", name="Safety representatives").wait_for()

    page.goto(live_server.url + "/staff/settings/campaigns/")
    _accessible(page)
    page.get_by_role("link", name="Add a campaign").click()
    _accessible(page)
    _field(page, "Title").fill("Safety week")
    _field(page, "Message").fill("This week we are asking about near misses.")
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    _field(page, "First day").fill(today)
    _field(page, "Last day").fill(today)
    _save(page)
    page.get_by_role("link", name="Safety week").wait_for()

    page.goto(live_server.url + "/staff/settings/networks/")
    _accessible(page)

    # The branding: a colour too light first, then a preview before saving.
    page.goto(live_server.url + "/staff/settings/branding/")
    _accessible(page)
    _field(page, "Organisation name").fill("Acme Logistics")
    _field(page, "Header colour").fill("#ffdd00")
    page.get_by_role("button", name="Preview the start page").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    _accessible(page)
    logo = tmp_path / "logo.png"
    picture = io.BytesIO()
    Image.new("RGB", (60, 30), (255, 255, 255)).save(picture, format="PNG")
    logo.write_bytes(picture.getvalue())
    _field(page, "Header colour").fill("#003078")
    page.get_by_label("New logo (optional)").set_input_files(str(logo))
    page.get_by_role("button", name="Preview the start page").click()
    page.get_by_role("heading", name="Preview: not saved yet").wait_for()
    _accessible(page)
    assert not Branding.objects.exists()
    page.get_by_role("button", name="Save this branding").click()
    page.wait_for_url("**/staff/settings/")
    _accessible(page)
    assert Branding.objects.get().organisation_name == "Acme Logistics"

    # A reporter sees the branding and the campaign, files a report of the new kind, and is
    # signposted to the support for its category.
    page.context.clear_cookies()
    page.goto(live_server.url + "/")
    page.get_by_text("Acme Logistics").first.wait_for()
    page.get_by_role("heading", name="Safety week").wait_for()
    page.get_by_role("link", name="Safety at work").click()
    page.get_by_label("What happened?").fill("The forklift brakes fail on the ramp.")
    page.get_by_label("Last month").check()
    page.get_by_label("Where did it happen?").select_option(label="Warehouse")
    page.get_by_label("Unsafe equipment").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send report").click()
    page.locator("#token").wait_for()
    page.get_by_text("Safety representatives").first.wait_for()
    case = Case.objects.get()
    assert (case.case_type.slug, case.category.slug, case.org_unit.slug) == (
        "safety",
        "equipment",
        "warehouse",
    )
