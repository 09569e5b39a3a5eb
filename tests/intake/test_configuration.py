"""The reporter pages' configuration, kept in the cache (intake/configuration.py): a change an
administrator makes shows on the very next page, whichever of the kept models it touches, and
a cache that is down or holds something unreadable costs nothing but the reads it saved."""

import dataclasses

import pytest
from django.core.cache import cache

from cases.models import CaseType, Category, OrganisationalUnit
from intake.configuration import KEY, configuration
from intake.models import Branding, SupportResource
from reports.models import MonitoringQuestion
from tests.intake.conftest import SEND, answers

pytestmark = pytest.mark.django_db

FORM = "/report/whistleblowing/"


def _form(client) -> str:
    answer = client.get(FORM)
    assert answer.status_code == 200
    return str(answer.content.decode())


def test_the_form_is_drawn_from_the_kept_copy_until_something_changes(
    client, whistleblowing, django_assert_num_queries
):
    _form(client)  # reads the configuration and keeps it
    with django_assert_num_queries(0):
        assert "Fraud" in _form(client)


@pytest.mark.parametrize(
    ("change", "shown", "gone"),
    [
        pytest.param(
            lambda t: Category.objects.create(case_type=t, slug="safety", name="Safety risk"),
            "Safety risk",
            None,
            id="category added",
        ),
        pytest.param(
            lambda t: _rename_category("Theft or fraud"),
            "Theft or fraud",
            None,
            id="category renamed",
        ),
        pytest.param(lambda t: _close_category(), None, "Fraud", id="category closed"),
        pytest.param(
            lambda t: OrganisationalUnit.objects.create(slug="legal", name="Legal services"),
            "Legal services",
            None,
            id="unit added",
        ),
        pytest.param(
            lambda t: OrganisationalUnit.objects.get(slug="finance").delete(),
            None,
            "Finance",
            id="unit deleted",
        ),
        pytest.param(
            lambda t: MonitoringQuestion.objects.create(
                slug="age", text="How old are you?", answers=[["under-30", "Under 30"]]
            ),
            "How old are you?",
            None,
            id="monitoring question added",
        ),
        pytest.param(
            lambda t: Branding.objects.create(organisation_name="Acme Water"),
            "Acme Water",
            None,
            id="branding saved",
        ),
    ],
)
def test_a_change_shows_on_the_next_form(client, whistleblowing, change, shown, gone):
    before = _form(client)
    if gone:
        assert gone in before
    change(whistleblowing)
    after = _form(client)
    if shown:
        assert shown in after
    if gone:
        assert gone not in after


def _rename_category(name):
    category = Category.objects.get(slug="fraud")
    category.name = name
    category.save()


def _close_category():
    category = Category.objects.get(slug="fraud")
    category.is_active = False
    category.save()


def test_a_closed_case_type_is_not_found_at_once(client, whistleblowing):
    _form(client)
    whistleblowing.is_active = False
    whistleblowing.save()
    assert client.get(FORM).status_code == 404
    assert client.post(SEND, answers(whistleblowing)).status_code == 404
    assert CaseType.objects.filter(slug="whistleblowing", is_active=False).exists()


def test_support_offered_follows_its_categories_at_once(client, whistleblowing):
    resource = SupportResource.objects.create(title="Employee assistance line")
    assert "Employee assistance line" in client.get("/").content.decode()
    # Offered for one category only from now: no longer on the start page (no category).
    resource.categories.add(Category.objects.get(slug="fraud"))
    assert "Employee assistance line" not in client.get("/").content.decode()
    resource.categories.clear()
    assert "Employee assistance line" in client.get("/").content.decode()
    resource.delete()
    assert "Employee assistance line" not in client.get("/").content.decode()


def test_an_administrator_adding_a_unit_on_the_settings_page_shows_it_at_once(
    client, cast, sign_in
):
    Category.objects.create(case_type=cast.case_type, slug="fraud", name="Fraud")
    form = f"/report/{cast.case_type.slug}/"
    assert "Legal services" not in client.get(form).content.decode()
    sign_in(cast.administrator)
    added = client.post(
        "/staff/settings/units/new/",
        {"name": "Legal services", "slug": "legal", "is_active": "yes"},
    )
    assert added.status_code == 302
    client.logout()
    assert "Legal services" in client.get(form).content.decode()


def test_a_copy_kept_while_a_change_was_being_made_is_dropped_when_it_commits(
    client, whistleblowing, django_capture_on_commit_callbacks
):
    _form(client)
    with django_capture_on_commit_callbacks(execute=True):
        _rename_category("Theft or fraud")
        # Another page, reading the rows as they were before this change committed, kept
        # the old copy again in the meantime.
        stale = configuration()
        cache.set(KEY, dataclasses.replace(stale, categories={}))
        assert "Theft or fraud" not in _form(client)
    assert "Theft or fraud" in _form(client)


def test_the_form_works_from_the_database_when_the_cache_is_down(
    cache_down, client, whistleblowing
):
    assert "Fraud" in _form(client)
    Category.objects.create(case_type=whistleblowing, slug="safety", name="Safety risk")
    assert "Safety risk" in _form(client)


def test_an_unreadable_copy_is_read_again_from_the_database(client, whistleblowing):
    cache.set(KEY, "left by another release")
    assert "Fraud" in _form(client)
    assert cache.get(KEY).units[0].name == "Finance"


def test_a_report_reads_the_kept_copy_once(client, whistleblowing, monkeypatch):
    _form(client)
    reads = []
    real_get = cache.get

    def counted(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counted)
    # The case type, the form's choices, the branding and the support on the token page.
    assert client.post(SEND, answers(whistleblowing)).status_code == 200
    assert reads == [KEY]
    # Outside a request nothing is held: each call asks the cache.
    configuration()
    configuration()
    assert reads == [KEY, KEY, KEY]


def test_a_change_made_during_a_request_shows_in_the_rest_of_it(whistleblowing):
    from intake.configuration import request_began, request_ended

    request_began()
    try:
        assert [c.name for c in configuration().categories[whistleblowing.pk]] == ["Fraud"]
        _rename_category("Theft or fraud")
        assert [c.name for c in configuration().categories[whistleblowing.pk]] == ["Theft or fraud"]
    finally:
        request_ended()
