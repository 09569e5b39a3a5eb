"""The reporting levels of a kind of report on the settings pages (decision 0031, issue 16):
offering confidential or named reporting where it was not waits for a second administrator,
taking a level away is made at once, every change is one record with its values before and
after, and the Django admin is no way around it. Expected values are written here by hand."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import CaseType
from permissions.models import SettingsChange, SettingsStatus
from permissions.settings_changes import SettingsRefused, settings_change_make
from tests.administration.test_settings_pages import OUTSIDERS, _settings_events
from tests.builders import make_case_type
from tests.staff.htmlforms import form_data
from workflows.settings_subjects import levels_weaken

# (before, after, does it weaken?): every pair of the four settings. Opening confidential or
# named where it was not weakens; taking levels away never does.
LEVEL_CHANGES = [
    ("anonymous", "anonymous_named", True),
    ("anonymous", "anonymous_confidential", True),
    ("anonymous", "all", True),
    ("anonymous_named", "anonymous", False),
    ("anonymous_named", "anonymous_confidential", True),  # confidential opened
    ("anonymous_named", "all", True),
    ("anonymous_confidential", "anonymous", False),
    ("anonymous_confidential", "anonymous_named", True),  # named opened
    ("anonymous_confidential", "all", True),
    ("all", "anonymous", False),
    ("all", "anonymous_named", False),
    ("all", "anonymous_confidential", False),
]


@pytest.mark.parametrize(("before", "after", "weakens"), LEVEL_CHANGES)
def test_which_reporting_level_changes_weaken_protection(before, after, weakens):
    assert bool(levels_weaken({"reporting_levels": before}, {"reporting_levels": after})) is (
        weakens
    )


def test_the_proposal_says_which_levels_it_opens():
    assert levels_weaken({"reporting_levels": "anonymous"}, {"reporting_levels": "all"}) == (
        "It opens confidential and named reporting: reporters could give their name where "
        "they could not."
    )


def _url(cast) -> str:
    return f"/staff/settings/kinds/{cast.case_type.pk}/levels/"


def _level(cast) -> str:
    return CaseType.objects.get(pk=cast.case_type.pk).reporting_levels


def test_the_kind_page_shows_the_levels_and_links_to_their_page(cast, sign_in, client):
    sign_in(cast.administrator)
    page = client.get(f"/staff/settings/kinds/{cast.case_type.pk}/").content.decode()
    assert "Stay anonymous or give their name openly" in page  # the cast's: anonymous_named
    assert f'href="{_url(cast)}"' in page
    form = client.get(_url(cast)).content.decode()
    assert 'value="anonymous_named" checked' in form


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_levels_page_is_not_found_for_anyone_else(cast, sign_in, client, who):
    sign_in(getattr(cast, who))
    assert client.get(_url(cast)).status_code == 404
    assert client.post(_url(cast), {"reporting_levels": "all"}).status_code == 404
    assert _level(cast) == "anonymous_named"
    assert not SettingsChange.objects.exists()


def test_taking_a_level_away_is_made_at_once_and_recorded(cast, sign_in, client):
    sign_in(cast.administrator)
    answer = client.post(_url(cast), {"reporting_levels": "anonymous"})
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/settings/kinds/{cast.case_type.pk}/"
    assert _level(cast) == "anonymous"
    change = SettingsChange.objects.get()
    assert (change.subject, change.target_id, change.status) == (
        "reporting_levels",
        cast.case_type.pk,
        SettingsStatus.MADE,
    )
    assert change.before == {"reporting_levels": "anonymous_named"}
    assert change.after == {"reporting_levels": "anonymous"}
    assert _settings_events() == ["settings.changed"]
    index = client.get("/staff/settings/").content.decode()
    assert "Reporting levels of a kind of report" in index
    assert "Stay anonymous or give their name openly → Stay anonymous only" in index
    # The reporter's form no longer asks.
    form = Client().get(f"/report/{cast.case_type.slug}/").content.decode()
    assert "Give your name openly" not in form and 'name="identity"' not in form


def test_opening_a_level_waits_for_a_second_administrator(
    cast, second_administrator, sign_in, client
):
    sign_in(cast.administrator)
    answer = client.post(_url(cast), {"reporting_levels": "all"}, follow=True)
    assert (
        "Proposed: It opens confidential reporting: reporters could give their name where they "
        "could not. A second administrator must confirm it"
    ) in answer.content.decode()
    assert _level(cast) == "anonymous_named"
    change = SettingsChange.objects.get()
    assert change.status == SettingsStatus.PENDING
    assert (change.before, change.after) == (
        {"reporting_levels": "anonymous_named"},
        {"reporting_levels": "all"},
    )
    reporter_form = Client().get(f"/report/{cast.case_type.slug}/").content.decode()
    assert "Give your name in confidence" not in reporter_form

    # The one who proposed it cannot confirm it, by the page or by a forged post.
    index = client.get("/staff/settings/").content.decode()
    assert f"/staff/settings/changes/{change.pk}/confirm/" not in index
    forged = client.post(f"/staff/settings/changes/{change.pk}/confirm/", follow=True)
    assert "A second administrator must confirm this change." in forged.content.decode()
    change.refresh_from_db()
    assert change.status == SettingsStatus.PENDING and _level(cast) == "anonymous_named"

    other = sign_in(second_administrator, Client())
    index = other.get("/staff/settings/").content.decode()
    assert f"/staff/settings/changes/{change.pk}/confirm/" in index
    assert (
        "Stay anonymous or give their name openly → Stay anonymous, give their name in "
        "confidence, or openly"
    ) in index
    other.post(f"/staff/settings/changes/{change.pk}/confirm/")
    assert _level(cast) == "all"
    change.refresh_from_db()
    assert (change.status, change.confirmed_by) == (SettingsStatus.CONFIRMED, second_administrator)
    assert _settings_events() == ["settings.proposed", "settings.confirmed"]
    reporter_form = Client().get(f"/report/{cast.case_type.slug}/").content.decode()
    assert "Give your name in confidence" in reporter_form


def test_a_proposal_overtaken_by_a_narrowing_is_not_made(
    cast, second_administrator, sign_in, client
):
    """Proposed against "anonymous or named"; meanwhile named is taken away. Confirming the
    old proposal would open both levels from a setting it was not proposed against."""
    sign_in(cast.administrator)
    client.post(_url(cast), {"reporting_levels": "all"})
    proposal = SettingsChange.objects.get()
    client.post(_url(cast), {"reporting_levels": "anonymous"})
    other = sign_in(second_administrator, Client())
    answer = other.post(f"/staff/settings/changes/{proposal.pk}/confirm/", follow=True)
    assert "The setting has changed since this was proposed" in answer.content.decode()
    assert _level(cast) == "anonymous"


@pytest.mark.parametrize("forged", ["everyone", "", "ALL", "named"])
def test_a_forged_level_is_explained_and_nothing_saved(cast, sign_in, client, forged):
    sign_in(cast.administrator)
    answer = client.post(_url(cast), {"reporting_levels": forged})
    body = answer.content.decode()
    assert answer.status_code == 400
    assert 'class="govuk-error-summary"' in body
    assert "Choose which reporting levels to offer." in body
    assert _level(cast) == "anonymous_named"
    assert not SettingsChange.objects.exists()


def test_the_same_levels_again_change_nothing(cast, sign_in, client):
    sign_in(cast.administrator)
    answer = client.post(_url(cast), {"reporting_levels": "anonymous_named"})
    assert answer.status_code == 400
    assert "That is the setting already: nothing was changed." in answer.content.decode()
    assert not SettingsChange.objects.exists()


def test_a_report_for_trends_only_stays_anonymous_only(cast, sign_in, client):
    trends = make_case_type(workflow="trend_only", reporting_levels="anonymous")
    sign_in(cast.administrator)
    answer = client.post(
        f"/staff/settings/kinds/{trends.pk}/levels/", {"reporting_levels": "anonymous_named"}
    )
    assert answer.status_code == 400
    assert "A kind of report counted for trends only asks nobody" in answer.content.decode()
    trends.refresh_from_db()
    assert trends.reporting_levels == "anonymous"
    assert not SettingsChange.objects.exists()


def test_a_kind_that_names_reporters_cannot_become_trends_only(cast, sign_in, client):
    sign_in(cast.administrator)
    kind = make_case_type(workflow="whistleblowing", reporting_levels="anonymous_named")
    answer = client.post(
        f"/staff/settings/kinds/{kind.pk}/change/",
        {"name": kind.name, "workflow": "trend_only", "is_active": "yes", "position": "0"},
    )
    assert answer.status_code == 400
    assert "make its reporting levels anonymous only first" in answer.content.decode()
    kind.refresh_from_db()
    assert kind.workflow == "whistleblowing"


def test_a_new_kind_offers_anonymous_reporting_only(cast, sign_in, client):
    sign_in(cast.administrator)
    client.post(
        "/staff/settings/kinds/new/",
        {
            "name": "Anti-fraud",
            "slug": "anti-fraud",
            "workflow": "whistleblowing",
            "is_active": "yes",
            # Not a field of the form: ignored.
            "reporting_levels": "all",
        },
    )
    made = CaseType.objects.get(slug="anti-fraud")
    assert made.reporting_levels == "anonymous"
    assert SettingsChange.objects.get().after["reporting_levels"] == "anonymous"


# (what a forged call to the service asks, what it is told)
FORGED_CALLS = [
    ("reporting_levels", "{ct}", {"reporting_levels": "everyone"}, "from the list"),
    ("reporting_levels", "{ct}", {"reporting_levels": "all", "workflow": "trend_only"}, "Only"),
    ("reporting_levels", None, {"reporting_levels": "all"}, "a kind of report that exists"),
    ("case_type", "{ct}", {"reporting_levels": "all"}, "on their own page"),
]


@pytest.mark.parametrize(("subject", "target", "after", "told"), FORGED_CALLS)
def test_the_service_refuses_levels_by_any_other_way(cast, subject, target, after, told):
    target_id = cast.case_type.pk if target else None
    values = after
    if subject == "case_type":
        values = {
            "name": "Renamed",
            "name_cy": "",
            "slug": cast.case_type.slug,
            "description": "",
            "description_cy": "",
            "workflow": "whistleblowing",
            "is_active": True,
            "position": 0,
            **after,
        }
    with pytest.raises(SettingsRefused, match=told):
        settings_change_make(
            actor=cast.administrator, subject=subject, target_id=target_id, after=values
        )
    assert _level(cast) == "anonymous_named"
    assert not SettingsChange.objects.exists()


def test_a_new_kind_with_levels_is_refused_by_the_service(cast):
    with pytest.raises(SettingsRefused, match="anonymous reporting only"):
        settings_change_make(
            actor=cast.administrator,
            subject="case_type",
            target_id=None,
            after={
                "name": "Open from the start",
                "slug": "open",
                "workflow": "whistleblowing",
                "reporting_levels": "all",
            },
        )
    assert not CaseType.objects.filter(slug="open").exists()


def test_the_django_admin_shows_the_levels_but_cannot_change_them(cast, sign_in, client):
    """Neither the change form nor its history's "revert" is a way around the second person."""
    cast.case_type.reporting_levels = "anonymous"
    cast.case_type.save()  # a version with another value for the history to revert to
    cast.case_type.reporting_levels = "anonymous_named"
    cast.case_type.save()
    sign_in(cast.administrator)
    path = f"/admin/cases/casetype/{cast.case_type.pk}/change/"
    page = client.get(path).content.decode()
    assert 'name="reporting_levels"' not in page and "Anonymous or named" in page
    data = form_data(page)
    answer = client.post(path, {**data, "reporting_levels": "all", "_save": "Save"})
    assert answer.status_code == 302  # the rest of the form saves
    assert _level(cast) == "anonymous_named"
    older = cast.case_type.history.filter(reporting_levels="anonymous").first()
    revert = f"/admin/cases/casetype/{cast.case_type.pk}/history/{older.history_id}/"
    shown = client.get(revert)
    assert shown.status_code == 200
    client.post(revert, {**form_data(shown.content.decode()), "_save": "Save"})
    assert _level(cast) == "anonymous_named"
    assert not SettingsChange.objects.exists()
