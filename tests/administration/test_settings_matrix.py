"""Issue 16, "Done when": the administrator role can do all of it; a handler or a governance lead
cannot reach the settings; an administrator cannot reach case content.

Every settings URL comes from the URLconf (the ``administration`` namespace), like the IDOR
matrix (tests/staff/test_idor.py), so a settings page added later is tried too. Everyone in the
cast but the administrator, and the confidential contact, gets not-found for each URL, by GET
and by POST (or "method not allowed" where the administrator gets it too), and changes
nothing; the administrator reaches each of them. That an administrator gets not-found for every
URL that takes a case, message or file is the IDOR matrix's (``administrator`` is one of its
outsiders); here, the settings pages themselves never show the cast's case.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import CaseType, Category, OrganisationalUnit, OutcomeCode
from intake.models import Branding, Campaign, SupportResource
from permissions.models import SettingsChange, StaffEvent
from permissions.roles import Role
from permissions.settings_changes import settings_change_make
from reports.models import MonitoringQuestion
from tests.staff.test_idor import _fill, _patterns

# How each parameter of a settings URL is filled: every one names a configuration row.
SETTINGS_PARAMETERS = {
    "case_type_id",
    "category_id",
    "unit_id",
    "resource_id",
    "campaign_id",
    "question_id",
    "outcome_id",
    "change_id",
}
# Everyone but the administrator (written out: a new member of the cast is added here by hand).
NOT_ADMINISTRATORS = [
    "triage_lead",
    "assigned_handler",
    "unassigned_handler",
    "external_investigator",
    "unassigned_investigator",
    "governance_lead",
    "superuser",
    "conflicted_handler",
    "team_handler",
    "other_triage_lead",
    "confidential_contact",
]
# The views that take POST only (their GET is "method not allowed" for everyone).
POST_ONLY = {
    "administration:change_confirm",
    "administration:change_close",
    "administration:category_retire",
    "administration:branding_save",
    "administration:outcome_retire",
    "administration:outcomes_usual",
}
# The views that take GET only.
GET_ONLY = {
    "administration:index",
    "administration:case_type",
    "administration:units",
    "administration:support",
    "administration:campaigns",
    "administration:monitoring",
    "administration:outcomes",
    "administration:branding_preview",
    "administration:branding_preview_css",
    "administration:branding_preview_logo",
}


def settings_urls() -> list[tuple[str, str]]:
    return sorted(
        (name, route)
        for name, route, _ in _patterns()
        if name and name.startswith("administration:")
    )


def test_the_matrix_knows_every_settings_url_and_parameter():
    names = {name for name, _ in settings_urls()}
    assert len(names) == 36  # written by hand: a new page makes this fail until it is looked at
    params = {p for name, route, ps in _patterns() if name and name in names for p in ps}
    assert params == SETTINGS_PARAMETERS
    assert names >= POST_ONLY | GET_ONLY


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 0, 0)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def configured(cast, django_user_model):
    """A row of every setting, a pending change, and a confidential contact."""
    cast.confidential_contact = django_user_model.objects.create_user(username="guardian")
    cast.confidential_contact.groups.add(
        Group.objects.get_or_create(name=Role.CONFIDENTIAL_CONTACT.value)[0]
    )
    Branding.objects.create(organisation_name="Acme", corporate_networks="10.0.0.0/8")
    question = MonitoringQuestion.objects.create(
        slug="age", text="Age?", answers=[["a", "Under 30"], ["b", "30 and over"]]
    )
    change = settings_change_make(
        actor=cast.administrator,
        subject="networks",
        target_id=Branding.objects.get().pk,
        after={"corporate_networks": ""},
    )
    values = {
        "case_type_id": cast.case_type.pk,
        "category_id": Category.objects.create(case_type=cast.case_type, slug="x", name="X").pk,
        "unit_id": OrganisationalUnit.objects.create(slug="u", name="U").pk,
        "resource_id": SupportResource.objects.create(title="Help", description="Call").pk,
        "campaign_id": Campaign.objects.create(
            title="Week",
            message="Talk",
            starts_on=dt.date(2026, 1, 5),
            ends_on=dt.date(2026, 1, 9),
        ).pk,
        "question_id": question.pk,
        "outcome_id": OutcomeCode.objects.create(
            case_type=cast.case_type, code="upheld", label="Upheld", substantiated=True
        ).pk,
        "change_id": change.pk,
    }
    OutcomeCode.objects.create(case_type=cast.case_type, code="not-upheld", label="Not upheld")
    return cast, values


def _state():
    """What the settings pages could change, and their record."""
    return (
        sorted(CaseType.objects.values_list()),
        sorted(Category.objects.values_list()),
        sorted(OrganisationalUnit.objects.values_list()),
        sorted(Branding.objects.values_list("pk", "organisation_name", "corporate_networks")),
        sorted(SupportResource.objects.values_list()),
        sorted(Campaign.objects.values_list()),
        sorted(MonitoringQuestion.objects.values_list()),
        sorted(OutcomeCode.objects.values_list()),
        sorted(SettingsChange.objects.values_list("pk", "status")),
        StaffEvent.objects.count(),
    )


# Each cell signs in and tries all 36 URLs twice (about 700 requests over the roles): run in
# the second pass, like the IDOR matrix.
@pytest.mark.slow
@pytest.mark.parametrize("who", NOT_ADMINISTRATORS)
def test_nobody_but_an_administrator_reaches_any_settings_url(
    configured, sign_in, client, subtests, who
):
    cast, values = configured
    before = _state()
    sign_in(getattr(cast, who))
    # Anything a settings form takes, so a page that forgot its check would change something.
    data = {
        "name": "Planted",
        "slug": "planted",
        "workflow": "whistleblowing",
        "is_active": "yes",
        "reporting_levels": "all",
        "corporate_networks": "",
        "ask": "no",
        "on_yes": "attention",
        "title": "Planted",
        "message": "Planted",
        "text": "Planted?",
        "answers": "A\nB",
        "organisation_name": "Planted",
        "colour": "#000000",
    }
    for name, route in settings_urls():
        path = _fill(route, values)
        with subtests.test(url=name):
            got = client.get(path).status_code
            assert got == (405 if name in POST_ONLY else 404), f"GET {name} as {who}"
            got = client.post(path, data).status_code
            assert got == (405 if name in GET_ONLY else 404), f"POST {name} as {who}"
    assert _state() == before
    assert b'href="/staff/settings/"' not in client.get("/staff/cases/").content


# Over the slow-test guard's budget on a busy machine (1.0 to 1.3 s of CPU): every page or
# case of the matrix in one test, so it waits for pass 2 (PostgreSQL).
@pytest.mark.slow
def test_the_administrator_reaches_every_settings_url(configured, sign_in, client, subtests):
    cast, values = configured
    sign_in(cast.administrator)
    # A draft branding with a logo, for the preview's pages.
    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    client.post(
        "/staff/settings/branding/",
        {"organisation_name": "Acme", "colour": "#0b0c0c", "logo": logo},
    )
    gets = [(n, r) for n, r in settings_urls() if n not in POST_ONLY]
    for name, route in gets:
        with subtests.test(url=name):
            answer = client.get(_fill(route, values))
            assert answer.status_code == 200, name
            if answer["Content-Type"].startswith("text/html"):
                page = answer.content.decode()
                # Configuration only: never the cast's case.
                assert cast.case.reference not in page and "0700 000000" not in page, name
    # The POST-only ones: each does what it says (the pending change is declined last).
    posts = [
        ("administration:category_retire", 302),
        ("administration:branding_save", 302),
        ("administration:outcome_retire", 302),
        ("administration:outcomes_usual", 302),
        ("administration:change_confirm", 302),  # refused for the proposer, said on the page
        ("administration:change_close", 302),
    ]
    assert {n for n, _ in posts} == POST_ONLY
    routes = dict(settings_urls())
    for name, status in posts:
        assert client.post(_fill(routes[name], values)).status_code == status, name
    assert not Category.objects.get(pk=values["category_id"]).is_active
    assert Branding.objects.get().logo_type == "image/png"
    assert not OutcomeCode.objects.get(pk=values["outcome_id"]).is_active
    # The kind had the usual seven already (as every kind migration cases/0020 found), so
    # "add the usual outcomes" added none: the seven and "Not upheld" are offered.
    assert OutcomeCode.objects.filter(case_type=cast.case_type, is_active=True).count() == 7 + 1
    assert SettingsChange.objects.get(pk=values["change_id"]).status == "withdrawn"
