"""Confidential reporting on the reporter's side (docs/decisions/0031-confidential-reporting.md):
the three levels on the form, each only where the kind of report offers it, the name asked
only for a level that needs it, check-your-answers, and the reporter's consent on the follow-up
page. The staff side (who sees what, the reveal) is tests/staff/test_confidential.py."""

import json
import re

import pytest

from cases.keys import case_cipher
from cases.models import Case, CaseEvent, ReporterIdentity
from cases.selectors import case_content, reporter_identity_of, reporter_identity_open
from tests.intake.conftest import answers

REPORT = "/report/whistleblowing/"
SEND = "/report/whistleblowing/send/"
NAME = "Marker Confidential-Name-7Q"
CONTACT = "marker.7q@example.org"


@pytest.fixture
def offered(whistleblowing):
    """Whistleblowing offering all three levels."""
    whistleblowing.reporting_levels = "all"
    whistleblowing.save(update_fields=["reporting_levels"])
    return whistleblowing


def _levels(page: str) -> list[str]:
    return re.findall(r'name="identity" type="radio" value="([a-z]+)"', page)


@pytest.mark.parametrize(
    ("levels", "radios", "boxes"),
    [
        ("anonymous", [], []),
        ("anonymous_named", ["anonymous", "named"], ["name"]),
        ("anonymous_confidential", ["anonymous", "confidential"], ["confidential_name"]),
        ("all", ["anonymous", "confidential", "named"], ["confidential_name", "name"]),
    ],
)
def test_the_form_offers_the_levels_of_the_kind_of_report(
    client, whistleblowing, levels, radios, boxes
):
    whistleblowing.reporting_levels = levels
    whistleblowing.save(update_fields=["reporting_levels"])
    page = client.get(REPORT).content.decode()
    assert _levels(page) == radios
    assert re.findall(r'<input class="govuk-input[^"]*" id="id_(\w+)"', page)[:-1] == boxes


def test_the_levels_are_explained_in_plain_words_with_the_name_box_revealed(client, offered):
    page = client.get(REPORT).content.decode()
    assert "Do you want to tell us who you are?" in page
    for label in ("Stay anonymous", "Give your name in confidence", "Give your name openly"):
        assert label in page
    assert "Only our confidential contact (for example a Freedom to Speak Up Guardian)" in page
    assert "The people handling your report will see your name" in page
    # Each level that needs a name reveals its own box (hidden by the script only, so it is
    # there to type into without JavaScript); anonymous, chosen at first, reveals none.
    assert 'data-reveals="conditional-id_identity-2"' in page
    assert 'data-reveals="conditional-id_identity-3"' in page
    assert re.search(r'id="conditional-id_identity-2"[^>]*>\s*<div class="govuk-form-group', page)
    assert 'class="govuk-radios__conditional govuk-radios__conditional--hidden"' in page


def test_the_levels_are_in_welsh_at_cy(client, offered):
    page = client.get("/cy" + REPORT).content.decode()
    assert "Ydych chi am ddweud wrthym pwy ydych chi?" in page
    assert "Rhoi eich enw yn gyfrinachol" in page


def test_a_confidential_report_seals_the_name_and_contact_apart_from_the_report(client, offered):
    check = client.post(
        REPORT,
        answers(offered, identity="confidential", confidential_name=NAME, contact=CONTACT),
    )
    page = check.content.decode()
    assert check.status_code == 200
    assert "Give your name in confidence" in page and NAME in page  # the level and the name
    client.post(
        SEND, answers(offered, identity="confidential", confidential_name=NAME, contact=CONTACT)
    )
    case = Case.objects.get()
    content = case_content(case)
    # The contact details are with the name; the case's own are sealed empty (cases.news).
    assert "name" not in content.answers and content.reporter_contact == ""
    assert not case.reporter_named
    row = reporter_identity_of(case)
    assert row is not None and not row.shared
    assert reporter_identity_open(case, row).name == NAME
    assert reporter_identity_open(case, row).contact == CONTACT
    # Sealed: the name is nowhere in the row's stored bytes, and opens only as its own field.
    assert NAME.encode() not in bytes(row.identity)
    opened = case_cipher(case.pk).open(
        bytes(row.identity),
        model_label="cases.reporteridentity",
        field="identity",
        row_id=case.pk,
    )
    assert json.loads(opened) == {"name": NAME, "contact": CONTACT}


def test_a_named_report_keeps_the_name_with_the_answers_as_before(client, offered):
    client.post(SEND, answers(offered, identity="named", name="Alex Open"))
    case = Case.objects.get()
    assert case.reporter_named and case_content(case).answers["name"] == "Alex Open"
    assert reporter_identity_of(case) is None


def test_an_anonymous_report_keeps_no_name_even_typed_in_a_hidden_box(client, offered):
    form = answers(offered, identity="anonymous", name="Typed Openly", confidential_name=NAME)
    check = client.post(REPORT, form).content.decode()
    assert NAME not in check and "Typed Openly" not in check  # neither shown nor carried on
    client.post(SEND, form)
    case = Case.objects.get()
    assert "name" not in case_content(case).answers and reporter_identity_of(case) is None


def test_only_the_chosen_levels_name_is_kept(client, offered):
    client.post(
        SEND, answers(offered, identity="confidential", confidential_name=NAME, name="Other")
    )
    case = Case.objects.get()
    assert "name" not in case_content(case).answers
    row = reporter_identity_of(case)
    assert row is not None and reporter_identity_open(case, row).name == NAME


@pytest.mark.parametrize(
    ("level", "box"), [("confidential", "confidential_name"), ("named", "name")]
)
def test_a_level_that_needs_a_name_without_one_is_refused_with_the_box_linked(
    client, offered, level, box
):
    typed = "What I typed stays."
    answer = client.post(REPORT, answers(offered, identity=level, what_happened=typed))
    text = answer.content.decode()
    assert answer.status_code == 400
    assert f'href="#id_{box}"' in text and "Enter your name, or choose to stay anonymous" in text
    assert typed in text
    # The box with the error is revealed (not hidden by the script) so the error shows.
    revealed = r'class="govuk-radios__conditional" id="conditional-[^"]+">\s*'
    assert re.search(revealed + r'<div class="govuk-form-group govuk-form-group--error">', text)
    assert client.post(SEND, answers(offered, identity=level)).status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("levels", "forged"),
    [
        ("anonymous_named", "confidential"),
        ("anonymous_confidential", "named"),
        ("all", "guardian"),
        ("all", ""),
    ],
)
def test_a_level_the_kind_of_report_does_not_offer_is_refused(
    client, whistleblowing, levels, forged
):
    whistleblowing.reporting_levels = levels
    whistleblowing.save(update_fields=["reporting_levels"])
    form = answers(whistleblowing, identity=forged, name=NAME, confidential_name=NAME)
    for url in (REPORT, SEND):
        answer = client.post(url, form)
        assert answer.status_code == 400
        assert (
            "Select whether you want to stay anonymous or give your name" in answer.content.decode()
        )
    assert not Case.objects.exists()


def test_on_a_kind_of_report_for_anonymous_reports_only_a_forged_name_is_dropped(
    client, whistleblowing
):
    whistleblowing.reporting_levels = "anonymous"
    whistleblowing.save(update_fields=["reporting_levels"])
    client.post(SEND, answers(whistleblowing, identity="confidential", confidential_name=NAME))
    client.post(SEND, answers(whistleblowing, identity="named", name=NAME, submission_key="j" * 32))
    assert Case.objects.count() == 2
    for case in Case.objects.all():
        assert not case.reporter_named and reporter_identity_of(case) is None
        assert NAME not in json.dumps(case_content(case).answers)


def test_change_your_answers_comes_back_with_the_level_and_name(client, offered):
    form = answers(offered, identity="confidential", confidential_name=NAME, change="1")
    page = client.post(REPORT, form).content.decode()
    assert re.search(r'value="confidential" checked', page)
    assert f'value="{NAME}"' in page


# --- The follow-up page: consent ------------------------------------------------------------


def _follow_up(client, offered, **overrides):
    sent = client.post(
        SEND, answers(offered, identity="confidential", confidential_name=NAME, **overrides)
    )
    token = re.search(rb'id="token">([0-9A-Z-]+)<', sent.content).group(1).decode()
    client.post("/follow-up/", {"token": token})
    page = client.get("/follow-up/case/").content.decode()
    return Case.objects.get(), page, re.search(r'name="form_key" value="([^"]+)"', page).group(1)


def test_the_reporter_agrees_to_share_their_name_once(client, offered):
    case, page, key = _follow_up(client, offered)
    assert "You gave your name in confidence." in page and NAME not in page
    answer = client.post("/follow-up/your-name/", {"form_key": key, "agree": "yes"})
    assert answer.status_code == 302
    row = ReporterIdentity.objects.get(case=case)
    assert row.shared and row.consented_on == case.received_on and row.revealed_at is None
    event = CaseEvent.objects.filter(case=case).order_by("id").last()
    assert (event.code, event.actor, event.payload) == (
        "case.identity_shared_by_reporter",
        None,
        {},
    )
    page = client.get("/follow-up/case/").content.decode()
    assert "you agreed that the people handling your report may see your name" in page
    assert 'action="/follow-up/your-name/"' not in page
    # Again (a second tab, a double click): nothing more happens.
    client.post("/follow-up/your-name/", {"form_key": key, "agree": "yes"})
    codes = list(CaseEvent.objects.filter(case=case).values_list("code", flat=True))
    assert codes.count("case.identity_shared_by_reporter") == 1


def test_without_the_box_ticked_nothing_is_shared_and_the_error_is_linked(client, offered):
    case, _, key = _follow_up(client, offered)
    answer = client.post("/follow-up/your-name/", {"form_key": key})
    text = answer.content.decode()
    assert answer.status_code == 400
    assert text.count("Tick the box to agree") == 2 and 'href="#agree"' in text
    assert "<title>Error:" in text
    assert not ReporterIdentity.objects.get(case=case).shared


def test_consent_needs_the_sessions_form_key(client, offered):
    case, _, _ = _follow_up(client, offered)
    answer = client.post("/follow-up/your-name/", {"form_key": "forged", "agree": "yes"})
    assert answer.status_code == 403
    assert not ReporterIdentity.objects.get(case=case).shared


def test_an_anonymous_reporter_has_nothing_to_share(client, offered):
    sent = client.post(SEND, answers(offered))
    token = re.search(rb'id="token">([0-9A-Z-]+)<', sent.content).group(1).decode()
    client.post("/follow-up/", {"token": token})
    page = client.get("/follow-up/case/").content.decode()
    assert "Your name" not in page
    key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    answer = client.post("/follow-up/your-name/", {"form_key": key, "agree": "yes"})
    assert answer.status_code == 302 and not ReporterIdentity.objects.exists()
    assert not CaseEvent.objects.filter(code="case.identity_shared_by_reporter").exists()
