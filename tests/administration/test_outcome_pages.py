"""The outcomes page of the settings area over HTTP (docs/decisions/0032): an administrator
adds, relabels, reorders, retires and brings back a kind of report's outcomes, each one
recorded change with its values before and after; changing whether an outcome that cases have
counts as substantiated waits for a second administrator; bad input gets a linked error and
keeps what was typed; everyone else gets not-found. Expected values are written by hand."""

from __future__ import annotations

import html
import re

import pytest

from cases.models import CaseType, OutcomeCode
from permissions.models import SettingsChange, SettingsStatus, StaffEvent
from tests.builders import make_case, make_case_type

OUTSIDERS = ["triage_lead", "assigned_handler", "external_investigator", "governance_lead"]


def _pages(cast) -> list[str]:
    ct = cast.case_type.pk
    outcome = OutcomeCode.objects.get(case_type=cast.case_type, code="substantiated").pk
    return [
        "/staff/settings/outcomes/",
        f"/staff/settings/kinds/{ct}/outcomes/new/",
        f"/staff/settings/kinds/{ct}/outcomes/{outcome}/",
    ]


def _posts(cast) -> list[str]:
    ct = cast.case_type.pk
    outcome = OutcomeCode.objects.get(case_type=cast.case_type, code="substantiated").pk
    return [
        f"/staff/settings/kinds/{ct}/outcomes/new/",
        f"/staff/settings/kinds/{ct}/outcomes/{outcome}/",
        f"/staff/settings/kinds/{ct}/outcomes/{outcome}/retire/",
        f"/staff/settings/kinds/{ct}/outcomes/usual/",
    ]


def _offered(case_type: CaseType) -> list[tuple[str, str, bool]]:
    return list(
        OutcomeCode.objects.filter(case_type=case_type)
        .order_by("position", "label")
        .values_list("code", "label", "is_active")
    )


def _text(answer) -> str:
    return html.unescape(answer.content.decode())


def test_an_administrator_reaches_the_outcome_pages_from_the_settings_index(cast, sign_in, client):
    sign_in(cast.administrator)
    assert 'href="/staff/settings/outcomes/"' in client.get("/staff/settings/").content.decode()
    for page in _pages(cast):
        assert client.get(page).status_code == 200, page
    page = _text(client.get("/staff/settings/outcomes/"))
    # Every kind with its outcomes in their order, the substantiated ones said.
    assert f'id="kind-{cast.case_type.pk}"' in page
    rows = re.findall(
        r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">([^<]+)</td>\s*'
        r'<td class="govuk-table__cell">([^<]+)</td>\s*<td class="govuk-table__cell">(\w+)</td>',
        page,
    )
    assert rows == [
        ("Substantiated", "substantiated", "Yes"),
        ("Partly substantiated", "partly_substantiated", "Yes"),
        ("Not substantiated", "not_substantiated", "No"),
        ("Resolved informally", "resolved_informally", "No"),
        ("No further action", "no_further_action", "No"),
        ("Appeal upheld", "appeal_upheld", "No"),
        ("Appeal dismissed", "appeal_dismissed", "No"),
    ]
    # Configuration only: nothing of the cast's case.
    for url in _pages(cast):
        body = client.get(url).content.decode()
        assert cast.case.reference not in body and "Something happened" not in body


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_outcome_pages_are_not_found_for_anyone_else_and_change_nothing(
    cast, sign_in, client, who
):
    sign_in(getattr(cast, who))
    before = _offered(cast.case_type)
    for page in _pages(cast):
        assert client.get(page).status_code == 404, page
    for page in _posts(cast):
        answer = client.post(page, {"label": "Sacked", "code": "sacked", "substantiated": "yes"})
        assert answer.status_code == 404, page
    assert _offered(cast.case_type) == before
    assert not SettingsChange.objects.exists()


def test_another_kinds_outcome_in_the_address_is_not_found(cast, sign_in, client):
    other = make_case_type()
    theirs = OutcomeCode.objects.get(case_type=other, code="substantiated").pk
    sign_in(cast.administrator)
    ct = cast.case_type.pk
    assert client.get(f"/staff/settings/kinds/{ct}/outcomes/{theirs}/").status_code == 404
    assert client.post(f"/staff/settings/kinds/{ct}/outcomes/{theirs}/retire/").status_code == 404
    assert client.get(f"/staff/settings/kinds/{ct}/outcomes/999999/").status_code == 404
    assert client.get("/staff/settings/kinds/999999/outcomes/new/").status_code == 404
    assert not SettingsChange.objects.exists()


def test_adding_an_outcome_is_one_recorded_change_and_offers_it_on_that_kind_only(
    cast, sign_in, client
):
    sign_in(cast.administrator)
    answer = client.post(
        f"/staff/settings/kinds/{cast.case_type.pk}/outcomes/new/",
        {
            "label": "Upheld: censure with consent",
            "code": "censure-with-consent",
            "substantiated": "yes",
            "position": "8",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/settings/outcomes/#kind-{cast.case_type.pk}"
    made = OutcomeCode.objects.get(case_type=cast.case_type, code="censure-with-consent")
    assert (made.label, made.substantiated, made.is_active, made.position) == (
        "Upheld: censure with consent",
        True,
        True,
        8,
    )
    change = SettingsChange.objects.get()
    assert (change.subject, change.target_id, change.status) == ("outcome", made.pk, "made")
    assert change.before == {}
    assert change.after == {
        "case_type": cast.case_type.pk,
        "code": "censure-with-consent",
        "label": "Upheld: censure with consent",
        "substantiated": True,
        "is_active": True,
        "position": 8,
    }
    assert list(StaffEvent.objects.values_list("code", flat=True)) == ["settings.changed"]
    # The record on the settings page names it.
    assert "Outcome " in _text(client.get("/staff/settings/"))
    other = make_case_type()
    assert not OutcomeCode.objects.filter(case_type=other, code="censure-with-consent").exists()


# (field, typed value, error shown)
BAD_OUTCOME = [
    ("label", "", "Enter name."),
    ("label", "x" * 121, "Name must be 120 characters or fewer."),
    ("label", "  substantiated ", "That name is already used by an outcome of this kind."),
    ("code", "", "Enter a short name."),
    ("code", "Censure With Consent", "Use lower-case letters, numbers and single hyphens"),
    ("code", "c" * 33, "The short name must be 32 characters or fewer."),
    ("code", "substantiated", "That short name is already used by an outcome of this kind."),
    ("substantiated", "", "Choose whether: counts as substantiated in the reports"),
    ("substantiated", "maybe", "Select a valid choice"),
    ("position", "first", "The place must be a whole number, like 1."),
]


@pytest.mark.parametrize(("field", "typed", "error"), BAD_OUTCOME)
def test_a_bad_outcome_is_refused_with_a_linked_error_and_keeps_what_was_typed(
    cast, sign_in, client, field, typed, error
):
    sign_in(cast.administrator)
    form = {"label": "Censure", "code": "censure", "substantiated": "no", "position": "8"}
    form[field] = typed
    answer = client.post(f"/staff/settings/kinds/{cast.case_type.pk}/outcomes/new/", form)
    page = _text(answer)
    assert answer.status_code == 400
    assert "<title>Error: Add an outcome to" in page
    assert re.search(r'govuk-error-summary__list"><li><a href="#id_' + field + '">', page)
    assert error in page
    kept = "Censure" if field != "label" else None
    if kept:
        assert 'value="Censure"' in page
    assert not OutcomeCode.objects.filter(code="censure").exists()
    assert not SettingsChange.objects.exists()


def test_relabelling_keeps_the_code_and_shows_the_new_label_on_cases_that_have_it(
    cast, sign_in, client
):
    from workflows.services import case_transition

    for name in ("acknowledge", "begin_assessment"):
        case_transition(case=cast.case, name=name, actor=cast.assigned_handler)
    case_transition(
        case=cast.case, name="record_outcome", actor=cast.assigned_handler, outcome="substantiated"
    )
    outcome = OutcomeCode.objects.get(case_type=cast.case_type, code="substantiated")
    sign_in(cast.administrator)
    answer = client.post(
        f"/staff/settings/kinds/{cast.case_type.pk}/outcomes/{outcome.pk}/",
        # A forged short name is no field of this form: ignored, the code stays.
        {"label": "Upheld", "code": "upheld", "substantiated": "yes", "position": "1"},
    )
    assert answer.status_code == 302
    outcome.refresh_from_db()
    assert (outcome.code, outcome.label) == ("substantiated", "Upheld")
    change = SettingsChange.objects.get()
    assert change.status == SettingsStatus.MADE
    assert (change.before["label"], change.after["label"]) == ("Substantiated", "Upheld")
    assert change.before["code"] == change.after["code"] == "substantiated"
    sign_in(cast.assigned_handler)
    page = _text(client.get(f"/staff/cases/{cast.case.pk}/"))
    assert re.search(r"Outcome</dt><dd[^>]*>Upheld</dd>", page)


def test_retiring_takes_an_outcome_off_the_step_form_and_bringing_it_back_restores_it(
    cast, sign_in, client
):
    from workflows.services import case_transition

    for name in ("acknowledge", "begin_assessment"):
        case_transition(case=cast.case, name=name, actor=cast.assigned_handler)
    outcome = OutcomeCode.objects.get(case_type=cast.case_type, code="no_further_action")
    retire = f"/staff/settings/kinds/{cast.case_type.pk}/outcomes/{outcome.pk}/retire/"
    sign_in(cast.administrator)
    assert client.get(retire).status_code == 405
    assert client.post(retire).status_code == 302
    outcome.refresh_from_db()
    assert outcome.is_active is False
    change = SettingsChange.objects.get()
    assert (change.before["is_active"], change.after["is_active"], change.status) == (
        True,
        False,
        "made",
    )
    assert "Retired" in _text(client.get("/staff/settings/outcomes/"))
    sign_in(cast.assigned_handler)
    page = _text(client.get(f"/staff/cases/{cast.case.pk}/"))
    assert 'value="substantiated"' in page and 'value="no_further_action"' not in page
    sign_in(cast.administrator)
    assert client.post(retire).status_code == 302
    outcome.refresh_from_db()
    assert outcome.is_active is True
    sign_in(cast.assigned_handler)
    assert 'value="no_further_action"' in _text(client.get(f"/staff/cases/{cast.case.pk}/"))


def test_the_last_outcome_offered_cannot_be_retired(cast, sign_in, client):
    OutcomeCode.objects.filter(case_type=cast.case_type).exclude(code="substantiated").delete()
    last = OutcomeCode.objects.get(case_type=cast.case_type)
    sign_in(cast.administrator)
    answer = client.post(
        f"/staff/settings/kinds/{cast.case_type.pk}/outcomes/{last.pk}/retire/", follow=True
    )
    assert "This is the last outcome offered for this kind of report" in _text(answer)
    last.refresh_from_db()
    assert last.is_active is True
    assert not SettingsChange.objects.exists()


def test_a_trend_only_kind_may_retire_every_outcome(cast, sign_in, client):
    trends = make_case_type(workflow="trend_only")
    OutcomeCode.objects.filter(case_type=trends).exclude(code="substantiated").delete()
    last = OutcomeCode.objects.get(case_type=trends)
    sign_in(cast.administrator)
    client.post(f"/staff/settings/kinds/{trends.pk}/outcomes/{last.pk}/retire/")
    last.refresh_from_db()
    assert last.is_active is False


def _substantiated_flip(client, outcome: OutcomeCode, to: str):
    return client.post(
        f"/staff/settings/kinds/{outcome.case_type_id}/outcomes/{outcome.pk}/",
        {"label": outcome.label, "substantiated": to, "position": str(outcome.position)},
    )


def test_counting_an_unused_outcome_as_substantiated_or_not_is_made_at_once(cast, sign_in, client):
    outcome = OutcomeCode.objects.get(case_type=cast.case_type, code="resolved_informally")
    sign_in(cast.administrator)
    assert _substantiated_flip(client, outcome, "yes").status_code == 302
    outcome.refresh_from_db()
    assert outcome.substantiated is True
    assert SettingsChange.objects.get().status == SettingsStatus.MADE


def test_counting_a_used_outcome_differently_waits_for_a_second_administrator(
    cast, sign_in, client, django_user_model
):
    from django.contrib.auth.models import Group

    make_case(case_type=cast.case_type, state="outcome")  # closed with "substantiated"
    outcome = OutcomeCode.objects.get(case_type=cast.case_type, code="substantiated")
    sign_in(cast.administrator)
    answer = _substantiated_flip(client, outcome, "no")
    assert answer.status_code == 302
    outcome.refresh_from_db()
    assert outcome.substantiated is True  # not yet
    change = SettingsChange.objects.get()
    assert change.status == SettingsStatus.PENDING
    index = _text(client.get("/staff/settings/"))
    assert "It changes whether an outcome that 1 case has counts as substantiated" in index
    # The proposer cannot confirm it.
    client.post(f"/staff/settings/changes/{change.pk}/confirm/")
    outcome.refresh_from_db()
    assert outcome.substantiated is True
    second = django_user_model.objects.create_user(username="admin2", password="x-long-pass-1")
    second.groups.add(Group.objects.get(name="Administrator"))
    sign_in(second)
    assert client.post(f"/staff/settings/changes/{change.pk}/confirm/").status_code == 302
    outcome.refresh_from_db()
    assert outcome.substantiated is False
    change.refresh_from_db()
    assert (change.status, change.confirmed_by_id) == (SettingsStatus.CONFIRMED, second.pk)


def test_a_new_kind_gets_the_usual_outcomes_at_one_recorded_change_each(cast, sign_in, client):
    fresh = CaseType.objects.create(slug="fresh", name="Fresh", workflow="bullying")
    sign_in(cast.administrator)
    page = _text(client.get("/staff/settings/outcomes/"))
    assert "No outcome yet." in page and "Add the usual outcomes" in page
    usual = f"/staff/settings/kinds/{fresh.pk}/outcomes/usual/"
    assert client.post(usual).status_code == 302
    assert _offered(fresh) == [
        ("substantiated", "Substantiated", True),
        ("partly_substantiated", "Partly substantiated", True),
        ("not_substantiated", "Not substantiated", True),
        ("resolved_informally", "Resolved informally", True),
        ("no_further_action", "No further action", True),
        ("appeal_upheld", "Appeal upheld", True),
        ("appeal_dismissed", "Appeal dismissed", True),
    ]
    assert SettingsChange.objects.filter(subject="outcome", status="made").count() == 7
    answer = client.post(usual, follow=True)
    assert "This kind of report has the usual outcomes already." in _text(answer)
    assert SettingsChange.objects.count() == 7


def test_the_service_refuses_what_the_form_cannot_send(cast):
    """Through ``settings_change_make`` directly, as an API would: a changed code, a move to
    another kind, a kind that does not exist, and a duplicate name are refused."""
    from permissions.settings_changes import SettingsRefused, settings_change_make

    outcome = OutcomeCode.objects.get(case_type=cast.case_type, code="substantiated")
    values = {
        "case_type": cast.case_type.pk,
        "code": "substantiated",
        "label": "Substantiated",
        "substantiated": True,
        "is_active": True,
        "position": 1,
    }
    other = make_case_type()
    refused = [
        ({**values, "code": "upheld"}, "cannot change"),
        ({**values, "case_type": other.pk}, "stays with its kind"),
        ({**values, "label": "NOT SUBSTANTIATED"}, "name is already used"),
    ]
    for after, words in refused:
        with pytest.raises(SettingsRefused, match=words):
            settings_change_make(
                actor=cast.administrator, subject="outcome", target_id=outcome.pk, after=after
            )
    with pytest.raises(SettingsRefused, match="kind of report that exists"):
        settings_change_make(
            actor=cast.administrator,
            subject="outcome",
            target_id=None,
            after={**values, "case_type": 999999, "code": "new"},
        )
    with pytest.raises(SettingsRefused, match="Only an administrator"):
        settings_change_make(
            actor=cast.assigned_handler,
            subject="outcome",
            target_id=None,
            after={**values, "code": "new", "label": "New"},
        )
    assert not SettingsChange.objects.exists()
