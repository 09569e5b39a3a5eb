"""The settings pages over HTTP: administrators reach every page and change each setting with
one recorded change; everyone else gets not-found and changes nothing; bad input gets a clear
GOV.UK error summary, keeps what was typed and saves nothing; a weakening change waits for a
second administrator. Expected values are written here by hand."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from cases.models import CaseType, Category, OrganisationalUnit
from intake.models import Branding, Campaign, SupportResource
from permissions.models import SettingsChange, SettingsStatus, StaffEvent

PAGES = [
    "/staff/settings/",
    "/staff/settings/kinds/new/",
    "/staff/settings/kinds/{ct}/",
    "/staff/settings/kinds/{ct}/change/",
    "/staff/settings/kinds/{ct}/deadlines/",
    "/staff/settings/kinds/{ct}/categories/new/",
    "/staff/settings/units/",
    "/staff/settings/units/new/",
    "/staff/settings/branding/",
    "/staff/settings/networks/",
    "/staff/settings/support/",
    "/staff/settings/support/new/",
    "/staff/settings/campaigns/",
    "/staff/settings/campaigns/new/",
]
OUTSIDERS = [
    "triage_lead",
    "assigned_handler",
    "external_investigator",
    "governance_lead",
    "superuser",
]


def _pages(cast) -> list[str]:
    return [page.format(ct=cast.case_type.pk) for page in PAGES]


def _settings_events() -> list[str]:
    return list(
        StaffEvent.objects.filter(code__startswith="settings.").values_list("code", flat=True)
    )


def test_an_administrator_reaches_every_settings_page_and_the_menu_link(cast, sign_in, client):
    sign_in(cast.administrator)
    for page in _pages(cast):
        assert client.get(page).status_code == 200, page
    assert b'href="/staff/settings/"' in client.get("/staff/cases/").content


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_settings_pages_are_not_found_for_anyone_else(cast, sign_in, client, who):
    sign_in(getattr(cast, who))
    for page in _pages(cast):
        assert client.get(page).status_code == 404, page
    for page in _pages(cast):
        assert client.post(page, {"name": "x", "title": "x"}).status_code in (404, 405), page
    assert not SettingsChange.objects.exists()
    assert b'href="/staff/settings/"' not in client.get("/staff/cases/").content


def test_signed_out_people_are_sent_to_sign_in(cast, client):
    answer = client.get("/staff/settings/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_the_settings_pages_show_no_case_content(cast, sign_in, client):
    sign_in(cast.administrator)
    for page in _pages(cast):
        body = client.get(page).content.decode()
        assert cast.case.reference not in body
        assert "0700 000000" not in body and "Something happened" not in body


# --- Kinds of report -----------------------------------------------------------------------------

NEW_KIND = {
    "name": "Anti-fraud",
    "name_cy": "Gwrth-dwyll",
    "slug": "anti-fraud",
    "description": "Tell us about fraud.",
    "description_cy": "Dywedwch wrthym am dwyll.",
    "workflow": "whistleblowing",
    "is_active": "yes",
    "position": "3",
}


def test_an_administrator_adds_a_kind_of_report_with_one_recorded_change(cast, sign_in, client):
    sign_in(cast.administrator)
    answer = client.post("/staff/settings/kinds/new/", NEW_KIND)
    made = CaseType.objects.get(slug="anti-fraud")
    assert answer.status_code == 302 and answer["Location"] == f"/staff/settings/kinds/{made.pk}/"
    assert (made.name, made.name_cy, made.workflow, made.is_active, made.position) == (
        "Anti-fraud",
        "Gwrth-dwyll",
        "whistleblowing",
        True,
        3,
    )
    change = SettingsChange.objects.get()
    assert (change.subject, change.target_id, change.status) == ("case_type", made.pk, "made")
    assert change.before == {}
    assert change.after == {
        "name": "Anti-fraud",
        "name_cy": "Gwrth-dwyll",
        "description": "Tell us about fraud.",
        "description_cy": "Dywedwch wrthym am dwyll.",
        "workflow": "whistleblowing",
        "is_active": True,
        "position": 3,
        "reporting_levels": "anonymous",  # a new kind starts anonymous only
        "slug": "anti-fraud",
    }
    assert _settings_events() == ["settings.changed"]


# (field, typed value, error shown)
BAD_KIND = [
    ("name", "", "Enter name."),
    ("name", "x" * 121, "Name must be 120 characters or fewer."),
    ("slug", "Anti Fraud", "Use lower-case letters, numbers and single hyphens only"),
    ("workflow", "payroll", "Choose a process."),
    ("is_active", "", "Choose whether: open for reports"),
    ("position", "first", "The place must be a whole number, like 1."),
]


@pytest.mark.parametrize(("field", "typed", "error"), BAD_KIND)
def test_bad_input_for_a_kind_of_report_is_explained_and_kept(
    cast, sign_in, client, field, typed, error
):
    sign_in(cast.administrator)
    answer = client.post("/staff/settings/kinds/new/", {**NEW_KIND, field: typed})
    body = answer.content.decode()
    assert answer.status_code == 400
    assert 'class="govuk-error-summary"' in body and error in body
    assert "Tell us about fraud." in body  # what was typed stays
    assert not CaseType.objects.filter(name="Anti-fraud").exists()
    assert not SettingsChange.objects.exists()


def test_a_short_name_in_use_is_refused(cast, sign_in, client):
    sign_in(cast.administrator)
    answer = client.post("/staff/settings/kinds/new/", {**NEW_KIND, "slug": cast.case_type.slug})
    assert answer.status_code == 400
    assert "already used by another kind of report" in answer.content.decode()


def test_a_kind_with_cases_keeps_its_process(cast, sign_in, client):
    sign_in(cast.administrator)
    url = f"/staff/settings/kinds/{cast.case_type.pk}/change/"
    answer = client.post(url, {**NEW_KIND, "workflow": "bullying"})
    assert answer.status_code == 400
    assert "already has cases, so its process cannot change" in answer.content.decode()
    cast.case_type.refresh_from_db()
    assert cast.case_type.workflow == "whistleblowing"
    # Closing it and renaming it is fine, and recorded with the values before and after.
    answer = client.post(url, {**NEW_KIND, "workflow": "whistleblowing", "is_active": "no"})
    assert answer.status_code == 302
    change = SettingsChange.objects.get()
    assert (change.before["is_active"], change.after["is_active"]) == (True, False)
    assert (change.before["name"], change.after["name"]) == (cast.case_type.name, "Anti-fraud")
    assert change.after["slug"] == cast.case_type.slug  # the short name never changes


def test_a_missing_kind_is_not_found(cast, sign_in, client):
    sign_in(cast.administrator)
    assert client.get("/staff/settings/kinds/999999/").status_code == 404
    assert client.post("/staff/settings/kinds/999999/deadlines/", {}).status_code == 404


# --- Categories ---------------------------------------------------------------------------------


def test_categories_are_added_renamed_and_retired_never_deleted(cast, sign_in, client):
    sign_in(cast.administrator)
    base = f"/staff/settings/kinds/{cast.case_type.pk}/categories"
    client.post(f"{base}/new/", {"name": "Fraud", "name_cy": "Twyll", "slug": "fraud"})
    category = Category.objects.get(case_type=cast.case_type, slug="fraud")
    assert (category.name, category.name_cy, category.is_active) == ("Fraud", "Twyll", True)
    client.post(f"{base}/{category.pk}/", {"name": "Financial fraud", "name_cy": "Twyll ariannol"})
    client.post(f"{base}/{category.pk}/retire/")
    category.refresh_from_db()
    assert (category.name, category.is_active) == ("Financial fraud", False)
    client.post(f"{base}/{category.pk}/retire/")  # brought back
    category.refresh_from_db()
    assert category.is_active
    assert _settings_events() == ["settings.changed"] * 4
    retired = SettingsChange.objects.order_by("pk")[2]
    assert (retired.before["is_active"], retired.after["is_active"]) == (True, False)
    # A retire is a POST only, and only for this kind's own categories.
    assert client.get(f"{base}/{category.pk}/retire/").status_code == 405
    other = CaseType.objects.create(slug="other", name="Other", workflow="trend_only")
    assert (
        client.post(
            f"/staff/settings/kinds/{other.pk}/categories/{category.pk}/retire/"
        ).status_code
        == 404
    )


def test_a_category_with_no_name_is_explained_and_nothing_saved(cast, sign_in, client):
    sign_in(cast.administrator)
    url = f"/staff/settings/kinds/{cast.case_type.pk}/categories/new/"
    answer = client.post(url, {"name": "", "name_cy": "Twyll", "slug": "fraud"})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "Enter name." in body and 'value="Twyll"' in body
    assert not Category.objects.filter(slug="fraud").exists()


# --- Units --------------------------------------------------------------------------------------


def test_units_form_a_tree_that_cannot_loop(cast, sign_in, client):
    sign_in(cast.administrator)
    client.post(
        "/staff/settings/units/new/", {"name": "Operations", "slug": "ops", "is_active": "yes"}
    )
    top = OrganisationalUnit.objects.get(slug="ops")
    client.post(
        "/staff/settings/units/new/",
        {"name": "North site", "slug": "north", "parent": str(top.pk), "is_active": "yes"},
    )
    child = OrganisationalUnit.objects.get(slug="north")
    assert child.parent == top
    page = client.get("/staff/settings/units/").content.decode()
    assert "(within Operations)" in page
    # The top unit cannot be put inside its own child.
    answer = client.post(
        f"/staff/settings/units/{top.pk}/",
        {"name": "Operations", "parent": str(child.pk), "is_active": "yes"},
    )
    assert answer.status_code == 400 and "Choose a unit from the list." in answer.content.decode()
    top.refresh_from_db()
    assert top.parent is None


# --- Deadlines ----------------------------------------------------------------------------------

CLOCKS = {
    "acknowledge_amount": "7",
    "acknowledge_kind": "days",
    "feedback_amount": "3",
    "feedback_kind": "months",
    "stage_acknowledged_kind": "days",
    "stage_assessment_amount": "10",
    "stage_assessment_kind": "working_days",
    "stage_investigation_kind": "days",
    "stage_outcome_kind": "days",
}


def test_deadlines_are_form_fields_not_json(cast, sign_in, client):
    sign_in(cast.administrator)
    url = f"/staff/settings/kinds/{cast.case_type.pk}/deadlines/"
    page = client.get(url).content.decode()
    assert "stage_limits" not in page and "Finish “" in page
    answer = client.post(url, {**CLOCKS, "acknowledge_amount": "5"})  # shorter: at once
    assert answer.status_code == 302
    cast.case_type.refresh_from_db()
    assert cast.case_type.acknowledge_within_days == 5
    assert cast.case_type.feedback_within_months == 3
    assert cast.case_type.stage_limits == {"assessment": {"days": 10, "working": True}}
    assert SettingsChange.objects.get().status == SettingsStatus.MADE


# (field, typed value, error shown)
BAD_CLOCKS = [
    ("acknowledge_amount", "0", "Acknowledge receipt within must be 1 or more."),
    ("acknowledge_amount", "-3", "Acknowledge receipt within must be 1 or more."),
    ("acknowledge_amount", "91", "Acknowledge receipt within must be 90 or fewer."),
    ("acknowledge_amount", "seven", "Acknowledge receipt within must be a whole number"),
    ("feedback_amount", "13", "Give feedback within must be 12 months or fewer."),
    ("stage_assessment_amount", "367", "must be 366 or fewer."),
    ("acknowledge_kind", "fortnights", "Select a valid choice"),
]


@pytest.mark.parametrize(("field", "typed", "error"), BAD_CLOCKS)
def test_bad_deadlines_are_explained_kept_and_not_saved(cast, sign_in, client, field, typed, error):
    sign_in(cast.administrator)
    url = f"/staff/settings/kinds/{cast.case_type.pk}/deadlines/"
    answer = client.post(url, {**CLOCKS, field: typed})
    body = answer.content.decode()
    assert answer.status_code == 400
    assert 'class="govuk-error-summary"' in body and error in body
    if field.endswith("amount"):
        assert f'value="{typed}"' in body
    cast.case_type.refresh_from_db()
    assert cast.case_type.acknowledge_within_days == 7
    assert not SettingsChange.objects.exists()


def test_feedback_in_other_days_than_the_acknowledgement_is_explained(cast, sign_in, client):
    sign_in(cast.administrator)
    url = f"/staff/settings/kinds/{cast.case_type.pk}/deadlines/"
    answer = client.post(url, {**CLOCKS, "feedback_amount": "60", "feedback_kind": "working_days"})
    assert answer.status_code == 400
    assert "same kind of days as the acknowledgement" in answer.content.decode()


def test_a_longer_deadline_waits_for_a_second_administrator(
    cast, second_administrator, sign_in, client
):
    sign_in(cast.administrator)
    url = f"/staff/settings/kinds/{cast.case_type.pk}/deadlines/"
    answer = client.post(url, {**CLOCKS, "acknowledge_amount": "14"}, follow=True)
    assert (
        "Proposed: It removes, lengthens or changes the calendar of a deadline (acknowledge)."
        " A second administrator must confirm it"
    ) in answer.content.decode()
    cast.case_type.refresh_from_db()
    assert cast.case_type.acknowledge_within_days == 7
    change = SettingsChange.objects.get()
    assert change.status == SettingsStatus.PENDING
    index = client.get("/staff/settings/").content.decode()
    assert f"/staff/settings/changes/{change.pk}/confirm/" not in index  # not for the proposer
    forged = client.post(f"/staff/settings/changes/{change.pk}/confirm/", follow=True)
    assert "A second administrator must confirm this change." in forged.content.decode()

    other = sign_in(second_administrator, Client())
    index = other.get("/staff/settings/").content.decode()
    assert f"/staff/settings/changes/{change.pk}/confirm/" in index
    assert "acknowledge_within_days" in index and "7 → 14" in index
    assert "Deadlines of a kind of report" in index
    other.post(f"/staff/settings/changes/{change.pk}/confirm/")
    cast.case_type.refresh_from_db()
    assert cast.case_type.acknowledge_within_days == 14
    assert _settings_events() == ["settings.proposed", "settings.confirmed"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nobody_else_confirms_or_declines(cast, sign_in, client, who):
    sign_in(cast.administrator, Client()).post(
        f"/staff/settings/kinds/{cast.case_type.pk}/deadlines/",
        {**CLOCKS, "acknowledge_amount": "14"},
    )
    change = SettingsChange.objects.get()
    sign_in(getattr(cast, who))
    for action in ("confirm", "close"):
        assert client.post(f"/staff/settings/changes/{change.pk}/{action}/").status_code == 404
    change.refresh_from_db()
    assert change.status == SettingsStatus.PENDING


# --- Branding -----------------------------------------------------------------------------------

BRANDING = {
    "organisation_name": "Acme Council",
    "organisation_name_cy": "Cyngor Acme",
    "welcome": "Speak up safely.",
    "welcome_cy": "Codwch eich llais yn ddiogel.",
    "colour": "#0b0c0c",
}


def _png(size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def test_the_administrator_role_edits_the_branding_after_a_preview(cast, sign_in, client):
    sign_in(cast.administrator)
    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    answer = client.post("/staff/settings/branding/", {**BRANDING, "logo": logo})
    assert answer.status_code == 302 and answer["Location"] == "/staff/settings/branding/preview/"
    assert not Branding.objects.exists()  # nothing saved before "Save"
    preview = client.get("/staff/settings/branding/preview/").content.decode()
    assert "Acme Council" in preview and "Speak up safely." in preview
    assert "Preview: not saved yet" in preview
    assert 'href="/staff/settings/branding/preview/brand.css"' in preview
    assert 'src="/staff/settings/branding/preview/logo"' in preview
    css = client.get("/staff/settings/branding/preview/brand.css").content.decode()
    assert "background-color:#0b0c0c" in css
    assert client.get("/staff/settings/branding/preview/logo").content == _png()
    # The live start page has not changed.
    assert "Acme Council" not in Client().get("/").content.decode()
    client.post("/staff/settings/branding/save/")
    brand = Branding.objects.get()
    assert (brand.organisation_name, brand.colour, brand.logo_type) == (
        "Acme Council",
        "#0b0c0c",
        "image/png",
    )
    assert brand.logo is not None and bytes(brand.logo) == _png()
    assert "Acme Council" in Client().get("/").content.decode()
    assert _settings_events() == ["settings.changed"]
    change = SettingsChange.objects.get()
    assert change.after["organisation_name"] == "Acme Council" and change.before == {}


# (field, typed value, error shown)
BAD_BRANDING = [
    ("colour", "#ffdd00", "White text on #ffdd00 has a contrast of 1.3 to 1"),
    ("colour", "#1d70b", "Enter the colour as # and six letters or numbers"),
    ("colour", "blue", "Enter the colour as # and six letters or numbers"),
    ("organisation_name", "", "Enter organisation name."),
]


@pytest.mark.parametrize(("field", "typed", "error"), BAD_BRANDING)
def test_bad_branding_is_explained_kept_and_not_saved(cast, sign_in, client, field, typed, error):
    sign_in(cast.administrator)
    answer = client.post("/staff/settings/branding/", {**BRANDING, field: typed})
    body = answer.content.decode()
    assert answer.status_code == 400
    assert 'class="govuk-error-summary"' in body and error in body
    assert "Codwch eich llais yn ddiogel." in body
    assert not Branding.objects.exists() and not SettingsChange.objects.exists()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
# (file name, bytes, declared type, error shown)
BAD_LOGOS = [
    ("logo.svg", SVG, "image/svg+xml", "The logo must be a PNG or JPEG picture."),
    ("logo.png", SVG, "image/png", "The logo must be a PNG or JPEG picture."),  # a lying name
    ("logo.png", b"\x89PNG\r\n\x1a\nbroken", "image/png", "The logo must be a PNG or JPEG"),
    ("logo.png", b"0" * 200_001, "image/png", "The logo must be 200 KB or smaller."),
]


@pytest.mark.parametrize(("name", "data", "declared", "error"), BAD_LOGOS)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(
    cast, sign_in, client, name, data, declared, error
):
    sign_in(cast.administrator)
    upload = SimpleUploadedFile(name, data, content_type=declared)
    answer = client.post("/staff/settings/branding/", {**BRANDING, "logo": upload})
    assert answer.status_code == 400 and error in answer.content.decode()
    assert "settings_branding_draft" not in client.session


def test_a_gif_logo_is_refused_by_what_it_is(cast, sign_in, client):
    sign_in(cast.administrator)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    upload = SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")
    answer = client.post("/staff/settings/branding/", {**BRANDING, "logo": upload})
    assert answer.status_code == 400
    assert "The logo must be a PNG or JPEG picture." in answer.content.decode()


def test_the_preview_and_save_need_a_draft(cast, sign_in, client):
    sign_in(cast.administrator)
    assert client.get("/staff/settings/branding/preview/").status_code == 404
    assert client.post("/staff/settings/branding/save/").status_code == 404


# --- Corporate network ranges -------------------------------------------------------------------


def test_network_ranges_are_validated_and_a_removal_waits(
    cast, second_administrator, sign_in, client
):
    sign_in(cast.administrator)
    url = "/staff/settings/networks/"
    bad = client.post(url, {"corporate_networks": "10.0.0.0/8\n10.0.0.300/24"})
    assert bad.status_code == 400
    assert "Line 2 (10.0.0.300/24) is not an address range" in bad.content.decode()
    assert not Branding.objects.exists()
    client.post(url, {"corporate_networks": "10.0.0.0/8\n192.168.1.7/24"})
    assert Branding.objects.get().corporate_networks == "10.0.0.0/8\n192.168.1.0/24"
    client.post(url, {"corporate_networks": "10.0.0.0/8"})
    assert Branding.objects.get().corporate_networks == "10.0.0.0/8\n192.168.1.0/24"
    assert SettingsChange.objects.order_by("pk").last().status == SettingsStatus.PENDING
    change = SettingsChange.objects.order_by("pk").last()
    sign_in(second_administrator, Client()).post(f"/staff/settings/changes/{change.pk}/confirm/")
    assert Branding.objects.get().corporate_networks == "10.0.0.0/8"


# --- Support and campaigns ----------------------------------------------------------------------


def test_support_is_offered_per_category_and_stage(cast, sign_in, client):
    sign_in(cast.administrator)
    category = Category.objects.create(case_type=cast.case_type, slug="fraud", name="Fraud")
    answer = client.post(
        "/staff/settings/support/new/",
        {
            "title": "Counselling",
            "title_cy": "Cwnsela",
            "description": "Free and confidential.",
            "phone": "0800 000 000",
            "categories": [str(category.pk)],
            "stages": ["whistleblowing:investigation"],
            "is_active": "yes",
        },
    )
    assert answer.status_code == 302
    resource = SupportResource.objects.get()
    assert list(resource.categories.all()) == [category]
    assert resource.stages == ["whistleblowing:investigation"]
    from intake.selectors import support_list_for

    # (categories, stage, offered?)
    table = [
        ([category.pk], "whistleblowing:investigation", True),
        ([category.pk], "whistleblowing:assessment", False),
        ([], "whistleblowing:investigation", False),
        ([category.pk], "", True),  # beside the form and after a report: no stage yet
    ]
    for categories, stage, offered in table:
        assert (resource in support_list_for(categories, stage)) is offered, (categories, stage)


def test_a_support_resource_must_say_how_to_get_it(cast, sign_in, client):
    sign_in(cast.administrator)
    answer = client.post(
        "/staff/settings/support/new/",
        {"title": "Help", "link": "javascript:alert(1)", "is_active": "yes"},
    )
    body = answer.content.decode()
    assert answer.status_code == 400 and "Enter a web address" in body
    assert 'value="Help"' in body
    assert not SupportResource.objects.exists()


def test_a_campaign_shows_on_the_start_page_while_it_runs(cast, sign_in, client):
    sign_in(cast.administrator)
    today = timezone.localdate()
    answer = client.post(
        "/staff/settings/campaigns/new/",
        {
            "title": "Anti-bullying week",
            "title_cy": "Wythnos gwrth-fwlio",
            "message": "Talk to us.",
            "message_cy": "Siaradwch â ni.",
            "starts_on": (today - dt.timedelta(days=1)).isoformat(),
            "ends_on": (today + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert answer.status_code == 302
    reporter = Client()
    assert "Anti-bullying week" in reporter.get("/").content.decode()
    assert "Wythnos gwrth-fwlio" in reporter.get("/cy/").content.decode()
    campaign = Campaign.objects.get()
    client.post(
        f"/staff/settings/campaigns/{campaign.pk}/",
        {
            "title": "Anti-bullying week",
            "message": "Talk to us.",
            "starts_on": (today + dt.timedelta(days=1)).isoformat(),
            "ends_on": (today + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert "Anti-bullying week" not in reporter.get("/").content.decode()
    assert _settings_events() == ["settings.changed", "settings.changed"]


def test_a_campaign_that_ends_before_it_starts_is_explained(cast, sign_in, client):
    sign_in(cast.administrator)
    answer = client.post(
        "/staff/settings/campaigns/new/",
        {"title": "Week", "message": "Hi", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )
    body = answer.content.decode()
    assert answer.status_code == 400
    assert "The last day must be the same as or after the first day." in body
    assert 'value="2026-12-10"' in body
    assert not Campaign.objects.exists()


def test_the_follow_up_page_signposts_what_fits_where_the_case_is(db):
    """A resource for the investigation stage shows on the follow-up page only once the case
    is there; one for every stage shows throughout."""
    from tests.builders import make_case, make_case_type

    case_type = make_case_type()
    everywhere = SupportResource.objects.create(title="Staff network", description="Peers.")
    later = SupportResource.objects.create(
        title="Counselling", description="Free.", stages=["whistleblowing:investigation"]
    )
    # (stage reached, resources shown)
    table = [("assessment", {everywhere.title}), ("investigation", {everywhere.title, later.title})]
    for state, shown in table:
        _, token = make_case(case_type=case_type, state=state, with_token=True)
        reporter = Client()
        assert reporter.post("/follow-up/", {"token": token}).status_code == 302
        page = reporter.get("/follow-up/case/").content.decode()
        assert {t for t in ("Staff network", "Counselling") if t in page} == shown, state
