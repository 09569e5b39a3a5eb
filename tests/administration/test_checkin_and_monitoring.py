"""The reporter's check-in after closure and the equality monitoring questions on the settings
pages: every change one record with its values before and after; switching the check-in off or
asking it later, and asking, rewording or splitting a monitoring question more finely, wait for
a second administrator; bad input is explained and kept; the Django admin no longer has
either. Expected values are written here by hand."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from cases.models import CaseType
from permissions.models import SettingsChange, SettingsStatus
from permissions.settings_changes import SettingsRefused, settings_change_make
from reports.models import MonitoringQuestion
from reports.settings_subjects import questions_weaken
from retention.models import RetentionPolicy
from tests.administration.test_settings_pages import OUTSIDERS, _settings_events
from workflows.settings_subjects import checkin_weaken


def _page(answer) -> str:
    return html.unescape(answer.content.decode())


# --- The check-in after closure -------------------------------------------------------------------

# (weeks before, weeks after, does it weaken?) -- what a "yes" does never weakens.
CHECKIN_CHANGES = [
    (None, 12, False),  # switched on
    (12, 8, False),  # asked sooner
    (12, 12, False),
    (12, 13, True),  # asked later
    (12, None, True),  # switched off
    (None, None, False),
]


@pytest.mark.parametrize(("before", "after", "weakens"), CHECKIN_CHANGES)
def test_which_check_in_changes_weaken_protection(before, after, weakens):
    for opens_before, opens_after in ((False, False), (False, True), (True, False)):
        found = checkin_weaken(
            {"checkin_after_weeks": before, "checkin_yes_opens_case": opens_before},
            {"checkin_after_weeks": after, "checkin_yes_opens_case": opens_after},
        )
        assert bool(found) is weakens, (opens_before, opens_after)


def _ask_after(cast, weeks: int | None) -> None:
    cast.case_type.checkin_after_weeks = weeks
    cast.case_type.save(update_fields=["checkin_after_weeks"])


def _checkin(cast) -> tuple[int | None, bool]:
    cast.case_type.refresh_from_db()
    return cast.case_type.checkin_after_weeks, cast.case_type.checkin_yes_opens_case


def _checkin_url(cast) -> str:
    return f"/staff/settings/kinds/{cast.case_type.pk}/check-in/"


def test_the_kind_page_shows_the_check_in_and_links_to_its_page(cast, sign_in, client):
    _ask_after(cast, 6)
    sign_in(cast.administrator)
    page = _page(client.get(f"/staff/settings/kinds/{cast.case_type.pk}/"))
    assert "6 weeks after closure" in page
    assert "The closed case is marked as needing attention" in page
    assert f'href="{_checkin_url(cast)}"' in page
    form = _page(client.get(_checkin_url(cast)))
    assert 'name="weeks"' in form and 'value="6"' in form


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_check_in_page_is_not_found_for_anyone_else(cast, sign_in, client, who):
    sign_in(getattr(cast, who))
    assert client.get(_checkin_url(cast)).status_code == 404
    answer = client.post(_checkin_url(cast), {"ask": "no", "on_yes": "attention"})
    assert answer.status_code == 404
    assert not SettingsChange.objects.exists()


def test_switching_the_check_in_on_is_made_at_once_and_recorded_once(cast, sign_in, client):
    assert _checkin(cast) == (None, False)
    sign_in(cast.administrator)
    answer = client.post(_checkin_url(cast), {"ask": "yes", "weeks": "12", "on_yes": "new_case"})
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/settings/kinds/{cast.case_type.pk}/"
    assert _checkin(cast) == (12, True)
    change = SettingsChange.objects.get()
    assert (change.subject, change.target_id, change.status) == (
        "checkin",
        cast.case_type.pk,
        SettingsStatus.MADE,
    )
    assert change.before == {"checkin_after_weeks": None, "checkin_yes_opens_case": False}
    assert change.after == {"checkin_after_weeks": 12, "checkin_yes_opens_case": True}
    assert _settings_events() == ["settings.changed"]
    # Sooner, and back to attention: made at once too.
    client.post(_checkin_url(cast), {"ask": "yes", "weeks": "8", "on_yes": "attention"})
    assert _checkin(cast) == (8, False)


def test_switching_the_check_in_off_waits_for_a_second_administrator(
    cast, second_administrator, sign_in, client
):
    _ask_after(cast, 12)
    sign_in(cast.administrator)
    # "No" with weeks still typed: the weeks are not kept.
    answer = client.post(
        _checkin_url(cast), {"ask": "no", "weeks": "12", "on_yes": "attention"}, follow=True
    )
    assert (
        "Proposed: It stops asking reporters, after closure, whether anyone has treated them "
        "worse. A second administrator must confirm it"
    ) in _page(answer)
    assert _checkin(cast) == (12, False)
    change = SettingsChange.objects.get()
    assert change.status == SettingsStatus.PENDING
    assert change.after == {"checkin_after_weeks": None, "checkin_yes_opens_case": False}
    forged = client.post(f"/staff/settings/changes/{change.pk}/confirm/", follow=True)
    assert "A second administrator must confirm this change." in _page(forged)
    assert _checkin(cast) == (12, False)

    other = sign_in(second_administrator, Client())
    index = _page(other.get("/staff/settings/"))
    assert "Check-in after closure of a kind of report" in index
    assert "checkin_after_weeks" in index and "12 → none" in index
    other.post(f"/staff/settings/changes/{change.pk}/confirm/")
    assert _checkin(cast) == (None, False)
    assert _settings_events() == ["settings.proposed", "settings.confirmed"]


def test_asking_later_waits_too(cast, sign_in, client):
    _ask_after(cast, 12)
    sign_in(cast.administrator)
    client.post(_checkin_url(cast), {"ask": "yes", "weeks": "20", "on_yes": "attention"})
    assert _checkin(cast) == (12, False)
    assert SettingsChange.objects.get().status == SettingsStatus.PENDING


# (what is posted, the field whose error is shown, the error)
BAD_CHECKIN = [
    ({"ask": "yes", "weeks": "", "on_yes": "attention"}, "weeks", "Enter how many weeks"),
    ({"ask": "yes", "weeks": "0", "on_yes": "attention"}, "weeks", "must be 1 or more"),
    ({"ask": "yes", "weeks": "105", "on_yes": "attention"}, "weeks", "must be 104 or fewer"),
    ({"ask": "yes", "weeks": "twelve", "on_yes": "attention"}, "weeks", "a whole number, like 7"),
    ({"ask": "", "weeks": "12", "on_yes": "attention"}, "ask", "Choose whether: ask"),
    ({"ask": "yes", "weeks": "12", "on_yes": "both"}, "on_yes", "Select a valid choice"),
    ({"ask": "yes", "weeks": "12"}, "on_yes", "Choose what a yes does."),
]


@pytest.mark.parametrize(("posted", "field", "error"), BAD_CHECKIN)
def test_bad_check_in_input_is_explained_kept_and_not_saved(
    cast, sign_in, client, posted, field, error
):
    sign_in(cast.administrator)
    answer = client.post(_checkin_url(cast), posted)
    page = _page(answer)
    assert answer.status_code == 400
    assert f'href="#id_{field}"' in page and error in page
    if posted.get("weeks"):
        assert f'value="{posted["weeks"]}"' in page
    assert _checkin(cast) == (None, False)
    assert not SettingsChange.objects.exists()


def test_a_check_in_after_the_token_stops_is_refused_with_when_it_stops(cast, sign_in, client):
    RetentionPolicy.objects.filter(case_type=cast.case_type).update(token_days=70)
    sign_in(cast.administrator)
    answer = client.post(_checkin_url(cast), {"ask": "yes", "weeks": "10", "on_yes": "attention"})
    assert answer.status_code == 400
    assert "stops working 70 days after closure" in _page(answer)
    assert _checkin(cast) == (None, False)
    assert not SettingsChange.objects.exists()


# (subject, values posted to the service, what it says) -- other interfaces get no way round.
FORGED_CHECKIN = [
    ("checkin", {"checkin_after_weeks": 0, "checkin_yes_opens_case": False}, "1 to 104 weeks"),
    ("checkin", {"checkin_after_weeks": "12", "checkin_yes_opens_case": False}, "1 to 104 weeks"),
    ("checkin", {"checkin_after_weeks": True, "checkin_yes_opens_case": False}, "1 to 104 weeks"),
    ("checkin", {"checkin_after_weeks": 12, "checkin_yes_opens_case": "yes"}, 'what a "yes"'),
    ("checkin", {"checkin_after_weeks": 13}, "Only the check-in"),
    (
        "checkin",
        {"checkin_after_weeks": 13, "checkin_yes_opens_case": False, "reporting_levels": "all"},
        "Only the check-in",
    ),
    # Another kind of setting cannot carry the check-in (or a level) past its own rule.
    ("case_type", {"checkin_after_weeks": 40}, "changed on its own page"),
    ("clocks", {"acknowledge_within_days": 7, "reporting_levels": "all"}, "on its own page"),
    ("category", {"checkin_after_weeks": 40}, "changed on its own page"),
    ("unit", {"checkin_after_weeks": 40}, "changed on its own page"),
]


@pytest.mark.parametrize(("subject", "forged", "told"), FORGED_CHECKIN)
def test_the_service_refuses_a_forged_check_in(cast, subject, forged, told):
    _ask_after(cast, 12)
    levels = cast.case_type.reporting_levels
    values = forged
    if subject == "case_type":
        current = CaseType.objects.get(pk=cast.case_type.pk)
        values = {
            "slug": current.slug,
            "name": current.name,
            "name_cy": "",
            "description": "",
            "description_cy": "",
            "workflow": current.workflow,
            "is_active": True,
            "position": 0,
            **forged,
        }
    target = cast.case_type.pk
    if subject == "category":
        target = None
        values = {"case_type": cast.case_type.pk, "slug": "x", "name": "X", **forged}
    if subject == "unit":
        target = None
        values = {"slug": "x", "name": "X", "parent": None, "is_active": True, **forged}
    with pytest.raises(SettingsRefused) as refused:
        settings_change_make(
            actor=cast.administrator, subject=subject, target_id=target, after=values
        )
    assert told in refused.value.message
    cast.case_type.refresh_from_db()
    assert cast.case_type.checkin_after_weeks == 12
    assert cast.case_type.reporting_levels == levels
    assert not SettingsChange.objects.exists()


# --- Equality monitoring questions --------------------------------------------------------------

ANSWERS = [["under_30", "Under 30"], ["30_to_49", "30 to 49"], ["50_and_over", "50 and over"]]
AGE: dict[str, Any] = {
    "slug": "age",
    "text": "What is your age?",
    "hint": "",
    "answers": ANSWERS,
    "text_cy": "",
    "hint_cy": "",
    "answers_cy": {},
    "is_active": True,
    "position": 0,
}

# (what changes from AGE, does it weaken?)
QUESTION_CHANGES = [
    ({"is_active": False}, False),  # retired
    ({"hint": "Choose one."}, False),
    ({"position": 4}, False),
    ({"answers": ANSWERS[:2]}, False),  # an answer taken away
    ({"answers": list(reversed(ANSWERS))}, False),  # the same answers, reordered
    ({"text": "How old are you?"}, True),  # reworded
    ({"answers": [*ANSWERS, ["65_and_over", "65 and over"]]}, True),  # an answer added
    ({"answers": [["under_30", "Under 25"], *ANSWERS[1:]]}, True),  # an answer renamed
    # A Welsh reporter reads only the Welsh: its words count as the English do.
    ({"hint_cy": "Dewiswch un."}, False),
    ({"text_cy": "Beth yw eich oed?"}, True),  # worded in Welsh for the first time
    ({"answers_cy": {"under_30": "O dan 30"}}, True),  # an answer named in Welsh
]
WELSH_AGE = {
    **AGE,
    "text_cy": "Beth yw eich oed?",
    "answers_cy": {"under_30": "O dan 30", "30_to_49": "30 i 49"},
}
# (what changes from WELSH_AGE, does it weaken?)
WELSH_CHANGES = [
    ({"text_cy": ""}, False),  # the Welsh taken away: the English shows, marked as English
    ({"answers_cy": {"under_30": "O dan 30"}}, False),
    ({"text_cy": "Faint yw eich oed?"}, True),  # reworded in Welsh
    ({"answers_cy": {"under_30": "O dan 25", "30_to_49": "30 i 49"}}, True),  # renamed
]


@pytest.mark.parametrize(("change", "weakens"), QUESTION_CHANGES)
def test_which_question_changes_weaken_protection(change, weakens):
    assert bool(questions_weaken(AGE, {**AGE, **change})) is weakens


@pytest.mark.parametrize(("change", "weakens"), WELSH_CHANGES)
def test_which_changes_to_the_welsh_words_weaken_protection(change, weakens):
    assert bool(questions_weaken(WELSH_AGE, {**WELSH_AGE, **change})) is weakens


def test_a_change_proposed_before_the_welsh_words_were_kept_can_still_be_made(cast):
    """A pending change made by the release before has no Welsh parts: it stands for none."""
    question = MonitoringQuestion.objects.create(**WELSH_AGE)
    older = {key: value for key, value in AGE.items() if not key.endswith("_cy")}
    settings_change_make(
        actor=cast.administrator,
        subject="monitoring",
        target_id=question.pk,
        after={**older, "hint": "Choose one."},
    )
    question.refresh_from_db()
    assert (question.hint, question.text_cy, question.answers_cy) == ("Choose one.", "", {})


def test_asking_a_question_weakens_and_a_retired_one_changes_nothing_while_retired():
    retired = {**AGE, "is_active": False}
    assert questions_weaken({}, AGE)  # a new question, asked
    assert questions_weaken(retired, AGE)  # brought back
    assert not questions_weaken({}, retired)  # a new question, not asked
    assert not questions_weaken(retired, {**retired, "text": "How old?", "answers": []})


NEW_QUESTION = {
    "text": "What is your age?",
    "slug": "age",
    "hint": "",
    "answers": "Under 30\n30 to 49\n\n50 and over\n",
    "is_active": "yes",
    "position": "",
}


def test_a_new_question_is_asked_once_a_second_administrator_confirms_it(
    cast, second_administrator, sign_in, client
):
    sign_in(cast.administrator)
    answer = client.post("/staff/settings/monitoring/new/", NEW_QUESTION, follow=True)
    assert "Proposed: It asks reporters a question they were not asked" in _page(answer)
    assert not MonitoringQuestion.objects.exists()
    change = SettingsChange.objects.get()
    assert (change.subject, change.target_id, change.before) == ("monitoring", None, {})
    assert change.after == AGE  # the answers' short names made from their words
    assert (
        "What is your age?"
        not in client.get("/report/" + cast.case_type.slug + "/").content.decode()
    )

    other = sign_in(second_administrator, Client())
    index = _page(other.get("/staff/settings/"))
    assert "Equality monitoring question" in index
    assert "Under 30, 30 to 49, 50 and over" in index
    other.post(f"/staff/settings/changes/{change.pk}/confirm/")
    question = MonitoringQuestion.objects.get()
    assert (question.slug, question.text, question.answers, question.is_active) == (
        "age",
        "What is your age?",
        AGE["answers"],
        True,
    )
    assert _settings_events() == ["settings.proposed", "settings.confirmed"]
    listing = _page(other.get("/staff/settings/monitoring/"))
    assert f'href="/staff/settings/monitoring/{question.pk}/"' in listing
    form = Client().get(f"/report/{cast.case_type.slug}/").content.decode()
    assert "What is your age?" in form and "50 and over" in form


def test_retiring_a_question_and_taking_an_answer_away_are_made_at_once(cast, sign_in, client):
    question = MonitoringQuestion.objects.create(**AGE)
    sign_in(cast.administrator)
    url = f"/staff/settings/monitoring/{question.pk}/"
    page = _page(client.get(url))
    assert "Under 30\n30 to 49\n50 and over</textarea>" in page
    assert 'name="slug"' not in page  # fixed once made: its counts are kept by it
    answer = client.post(
        url, {**NEW_QUESTION, "answers": "Under 30\n50 and over", "is_active": "no"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/staff/settings/monitoring/"
    question.refresh_from_db()
    # The answers kept keep their short names.
    assert question.answers == [["under_30", "Under 30"], ["50_and_over", "50 and over"]]
    assert question.is_active is False
    change = SettingsChange.objects.get()
    assert (change.status, change.before, change.after) == (
        SettingsStatus.MADE,
        AGE,
        {**AGE, "answers": question.answers, "is_active": False},
    )
    assert _settings_events() == ["settings.changed"]


def test_adding_an_answer_waits_and_keeps_the_others_short_names(cast, sign_in, client):
    question = MonitoringQuestion.objects.create(**AGE)
    sign_in(cast.administrator)
    client.post(
        f"/staff/settings/monitoring/{question.pk}/",
        {**NEW_QUESTION, "answers": "Under 30\n30 to 49\n50 to 64\n50 and over"},
    )
    question.refresh_from_db()
    assert question.answers == AGE["answers"]
    change = SettingsChange.objects.get()
    assert change.status == SettingsStatus.PENDING
    assert change.after["answers"] == [
        ["under_30", "Under 30"],
        ["30_to_49", "30 to 49"],
        ["50_to_64", "50 to 64"],
        ["50_and_over", "50 and over"],
    ]


# (field, typed, error)
BAD_QUESTION = [
    ("text", "", "Enter question."),
    ("slug", "Age Group", "Use lower-case letters"),
    ("answers", "", "Enter the answers, one a line."),
    ("answers", "Only one", "Give 2 to 20 answers, one a line."),
    ("answers", "Yes\nyes", "Give each answer once."),
    ("answers", "Yes\nNo\nPrefer not to say", "Leave out “Prefer not to say”"),
    ("answers", "Yes\n" + "x" * 101, "Each answer must be 100 characters or fewer"),
    ("is_active", "maybe", "Select a valid choice"),
    ("position", "first", "The place must be a whole number, like 1."),
    ("answers_cy", "Un\nDau\nTri\nPedwar", "There are 3 answers: give at most 3 lines in Welsh"),
    ("answers_cy", "Un\n" + "x" * 101, "Each answer in Welsh must be 100 characters or fewer"),
    ("text_cy", "x" * 201, "Question in Welsh must be 200 characters or fewer."),
]


@pytest.mark.parametrize(("field", "typed", "error"), BAD_QUESTION)
def test_bad_questions_are_explained_kept_and_not_saved(cast, sign_in, client, field, typed, error):
    sign_in(cast.administrator)
    posted = {**NEW_QUESTION, "text": "KEPT-QUESTION", field: typed}
    answer = client.post("/staff/settings/monitoring/new/", posted)
    page = _page(answer)
    assert answer.status_code == 400
    assert f'href="#id_{field}"' in page and error in page
    if field != "text":
        assert 'value="KEPT-QUESTION"' in page
    assert not MonitoringQuestion.objects.exists() and not SettingsChange.objects.exists()


def test_a_short_name_in_use_is_refused(cast, sign_in, client):
    MonitoringQuestion.objects.create(**AGE)
    sign_in(cast.administrator)
    answer = client.post("/staff/settings/monitoring/new/", NEW_QUESTION)
    assert answer.status_code == 400
    assert "already used by another question" in _page(answer)


# (what changes from AGE, what the service says)
FORGED_QUESTIONS = [
    ({"slug": "age-band"}, "short name cannot change"),
    ({"answers": [["prefer_not_to_say", "No"], ["b", "B"]]}, "name of its own"),
    ({"answers": [["a", "A"], ["a", "B"]]}, "name of its own"),
    ({"answers": [["a", ""], ["b", "B"]]}, "name of its own"),
    ({"answers": [["a", "A"]]}, "Give 2 to 20 answers."),
    ({"answers": "Under 30"}, "Give 2 to 20 answers."),
    ({"text": " "}, "Write the question"),
    ({"is_active": "yes"}, "Say whether"),
    ({"position": -1}, "0 to 999"),
    ({"case_type": 1}, "every part"),
    ({"text_cy": "x" * 201}, "question in Welsh must be 200"),
    ({"hint_cy": None}, "hint in Welsh must be 300"),
    ({"answers_cy": {"over_90": "Dros 90"}}, "one of the question's answers"),
    ({"answers_cy": {"under_30": " "}}, "one of the question's answers"),
    ({"answers_cy": {"under_30": "x" * 101}}, "100"),
    ({"answers_cy": [["under_30", "O dan 30"]]}, "one of the question's answers"),
]


@pytest.mark.parametrize(("forged", "told"), FORGED_QUESTIONS)
def test_the_service_refuses_forged_questions(cast, forged, told):
    question = MonitoringQuestion.objects.create(**{**AGE, "is_active": False})
    with pytest.raises(SettingsRefused) as refused:
        settings_change_make(
            actor=cast.administrator,
            subject="monitoring",
            target_id=question.pk,
            after={**AGE, "is_active": False, **forged},
        )
    assert told in refused.value.message
    assert not SettingsChange.objects.exists()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_monitoring_pages_are_not_found_for_anyone_else(cast, sign_in, client, who):
    question = MonitoringQuestion.objects.create(**AGE)
    sign_in(getattr(cast, who))
    for url in (
        "/staff/settings/monitoring/",
        "/staff/settings/monitoring/new/",
        f"/staff/settings/monitoring/{question.pk}/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, NEW_QUESTION).status_code in (404, 405), url
    assert not SettingsChange.objects.exists()


def test_the_django_admin_no_longer_has_monitoring_questions(cast, sign_in, client):
    question = MonitoringQuestion.objects.create(**{**AGE, "is_active": False})
    sign_in(cast.administrator)
    for path in (
        "/admin/reports/monitoringquestion/",
        "/admin/reports/monitoringquestion/add/",
        f"/admin/reports/monitoringquestion/{question.pk}/change/",
    ):
        assert client.get(path).status_code == 404, path
        posted = client.post(path, {**NEW_QUESTION, "answers": "[]", "is_active": "on"})
        assert posted.status_code == 404, path
    question.refresh_from_db()
    assert question.is_active is False
    assert MonitoringQuestion.objects.count() == 1


def test_a_question_in_welsh_is_asked_in_welsh_on_welsh_pages(
    cast, second_administrator, sign_in, client
):
    """Through the settings pages to the Welsh report form: the Welsh words given are shown,
    and an answer given none shows in English, marked as English."""
    sign_in(cast.administrator)
    client.post(
        "/staff/settings/monitoring/new/",
        {
            **NEW_QUESTION,
            "text_cy": "Beth yw eich oed?",
            "hint_cy": "Dewiswch un.",
            "hint": "Choose one.",
            # The second answer left in English by an empty line; the last line's spaces go.
            "answers_cy": "O dan 30\n\n50 a hŷn  \n\n",
        },
    )
    change = SettingsChange.objects.get()
    assert change.after["answers_cy"] == {"under_30": "O dan 30", "50_and_over": "50 a hŷn"}
    other = sign_in(second_administrator, Client())
    assert "O dan 30, 50 a hŷn" in _page(other.get("/staff/settings/"))
    other.post(f"/staff/settings/changes/{change.pk}/confirm/")
    question = MonitoringQuestion.objects.get()
    assert (question.text_cy, question.hint_cy) == ("Beth yw eich oed?", "Dewiswch un.")

    welsh = Client().get(f"/cy/report/{cast.case_type.slug}/").content.decode()
    assert '<h2 class="govuk-fieldset__heading">Beth yw eich oed?</h2>' in welsh
    assert ">Dewiswch un.</div>" in welsh
    assert ">O dan 30</label>" in welsh and ">50 a hŷn</label>" in welsh
    assert 'lang="en">30 to 49</label>' in welsh
    assert "What is your age?" not in welsh and "Choose one." not in welsh
    english = Client().get(f"/report/{cast.case_type.slug}/").content.decode()
    assert "What is your age?" in english and ">Choose one.</div>" in english
    assert "Beth yw" not in english and "O dan 30" not in english

    # The form shows each answer's Welsh words on its own line, an empty line for none.
    page = _page(client.get(f"/staff/settings/monitoring/{question.pk}/"))
    assert "O dan 30\n\n50 a hŷn</textarea>" in page
