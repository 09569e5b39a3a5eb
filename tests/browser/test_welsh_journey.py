"""A reporter's whole journey in Welsh, in Chromium (docs/decisions/0025-welsh.md): report,
go back to a question with "Change" from check-your-answers and on again, switch language
there and back with the answers kept, keep the token, follow up, read the handler's message,
reply, sign out; and the other reporter pages: a kind for trends only (no contact question),
the check-in after closure with its error and thank-you, the receipt check. On every page
axe-core passes, the page is ``lang="cy"``, no English string of the reporter side shows
(organisation texts without a Welsh version, like the equality monitoring questions, are
marked ``lang="en"`` and left out of the check), and no cookie is set before the token page's
own short-lived one."""

import functools
import re

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Category, MessageKind, OrganisationalUnit
from cases.selectors import message_list_for_case
from cases.services import message_add
from intake.messages import read_po, reporter_messages
from intake.models import Branding, SupportResource
from reports.models import MonitoringQuestion
from tests.browser.conftest import axe_violations
from tests.builders import make_case, make_case_type

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What the page shows, less the elements marked as being in another language (organisation
# texts without a Welsh version, and the switcher's "English").
_WELSH_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('[lang]:not([lang="cy"])').forEach((el) => el.remove());
  body.querySelectorAll('script').forEach((el) => el.remove());
  document.documentElement.appendChild(body);  // innerText needs it laid out
  body.hidden = false;
  const text = body.innerText;
  body.remove();
  return text;
}"""


def _english_fragments():
    """The reporter side's English, in pieces: each message split at its placeholders, pieces
    of two letters or more, less those its Welsh keeps as they are ("MB", "PDF")."""
    catalogue = read_po()
    pieces = set()
    for singular, plural in reporter_messages():
        welsh = " ".join(catalogue[(singular, plural)].msgstr)
        for message in (singular, plural):
            for piece in re.split(r"%\(\w+\)[sd]", message):
                piece = piece.strip(" .,:;()")
                if len(piece) >= 2 and piece not in welsh:
                    pieces.add(piece)
    # Django's own words a reporter could meet in a form error.
    pieces.update({"This field is required", "Ensure this value has at most"})
    return sorted(pieces)


@functools.cache
def _english_patterns():
    return [
        (piece, re.compile(rf"(?<![\w']){re.escape(piece)}(?![\w'])"))
        for piece in _english_fragments()
    ]


def _check(page):
    assert page.locator("html").get_attribute("lang") == "cy", page.url
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]
    text = page.evaluate(_WELSH_TEXT)
    found = [piece for piece, pattern in _english_patterns() if pattern.search(text)]
    assert found == [], (page.url, found)


@pytest.fixture
def open_in_welsh(transactional_db):
    Branding.objects.create(organisation_name="Acme Council", organisation_name_cy="Cyngor Acme")
    case_type = make_case_type(
        slug="whistleblowing",
        name="Whistleblowing",
        name_cy="Chwythu'r chwiban",
        description="Wrongdoing at work.",  # no Welsh: shown marked as English
    )
    Category.objects.create(case_type=case_type, slug="fraud", name="Fraud", name_cy="Twyll")
    OrganisationalUnit.objects.create(slug="finance", name="Finance", name_cy="Cyllid")
    SupportResource.objects.create(
        title="Staff counselling", title_cy="Cwnsela i staff", description="Free and private."
    )
    # An equality monitoring question has no Welsh version: shown marked as English, with the
    # form's own words ("Prefer not to say", the hint) in Welsh.
    MonitoringQuestion.objects.create(
        slug="age", text="What is your age?", answers=[["a", "Under 30"], ["b", "30 and over"]]
    )
    make_case_type(
        slug="trends",
        name="Trends only",
        name_cy="Tueddiadau yn unig",
        description_cy="I weld patrymau.",
        workflow="trend_only",
    )
    return case_type


def test_a_reporter_files_and_follows_up_in_welsh(page, live_server, open_in_welsh):
    page.goto(live_server.url + "/cy/")
    _check(page)
    assert page.locator('p[lang="en"]', has_text="Wrongdoing at work.").count() == 1
    assert page.context.cookies() == []
    page.get_by_role("link", name="Chwythu'r chwiban").click()
    _check(page)
    page.get_by_role("button", name="Parhau").click()  # empty: the error summary
    page.get_by_role("heading", name="Mae problem").wait_for()
    _check(page)
    page.get_by_label("Beth ddigwyddodd?").fill("Mae anfonebau un cyflenwr yn osgoi pob gwiriad.")
    page.get_by_label("Y mis diwethaf").check()
    page.get_by_label("Ble ddigwyddodd hyn?").select_option(label="Cyllid")
    page.get_by_label("Twyll").check()
    page.get_by_role("button", name="Parhau").click()
    page.get_by_role("heading", name="Gwiriwch eich atebion cyn anfon eich adroddiad").wait_for()
    _check(page)
    assert page.context.cookies() == []

    # "Change" (Newid) goes back to its question, in Welsh, with every answer kept; on again.
    page.locator('button[name="change"][value="id_what_happened"]').click()
    page.wait_for_url("**/cy/report/whistleblowing/#id_what_happened")
    assert page.get_by_label("Beth ddigwyddodd?").input_value() == (
        "Mae anfonebau un cyflenwr yn osgoi pob gwiriad."
    )
    assert page.get_by_label("Twyll").is_checked()
    _check(page)
    page.get_by_role("button", name="Parhau").click()
    page.get_by_role("heading", name="Gwiriwch eich atebion cyn anfon eich adroddiad").wait_for()
    assert page.context.cookies() == [] and Case.objects.count() == 0

    # To English and back: the answers come along, nothing is stored, no cookie.
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Check your answers before sending your report").wait_for()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.get_by_text("Mae anfonebau un cyflenwr yn osgoi pob gwiriad.").wait_for()
    page.get_by_role("button", name="Cymraeg").click()
    page.get_by_role("heading", name="Gwiriwch eich atebion cyn anfon eich adroddiad").wait_for()
    assert page.context.cookies() == [] and Case.objects.count() == 0

    page.get_by_role("button", name="Anfon adroddiad").click()
    page.locator("#token").wait_for()
    token = page.locator("#token").inner_text()
    _check(page)
    assert [c["name"] for c in page.context.cookies()] == ["__Host-speakup-token"]
    page.get_by_label("Rwyf wedi ysgrifennu neu gadw fy nhocyn achos").check()
    page.get_by_role("button", name="Parhau").click()
    page.get_by_role("heading", name="Beth sy'n digwydd nesaf").wait_for()
    assert page.url == live_server.url + "/cy/next-steps/"
    _check(page)
    assert page.context.cookies() == []

    case = Case.objects.get()
    handler = User.objects.create_user(username="handler")
    message_add(
        case=case, kind=MessageKind.TO_REPORTER, body="Diolch. Pa gyflenwr?", author=handler
    )

    page.get_by_role("link", name="Dilyn eich adroddiad").click()
    _check(page)
    page.get_by_label("Eich tocyn achos").fill(token)
    page.get_by_role("button", name="Parhau").click()
    page.get_by_text("Diolch. Pa gyflenwr?").wait_for()
    assert page.url == live_server.url + "/cy/follow-up/case/"
    _check(page)
    page.get_by_label("Eich neges").fill("Y contractwr glanhau.")
    page.get_by_role("button", name="Anfon neges").click()
    page.get_by_text("Y contractwr glanhau.").wait_for()
    assert page.url == live_server.url + "/cy/follow-up/case/?sent=1"
    assert page.get_by_text("Mae eich neges wedi cael ei hanfon.").is_visible()
    _check(page)
    assert [m.body for m in message_list_for_case(case, include_internal=False)][-1] == (
        "Y contractwr glanhau."
    )
    page.get_by_role("button", name="Allgofnodi a chlirio data'r wefan hon").click()
    page.get_by_role("heading", name="Rydych wedi allgofnodi").wait_for()
    _check(page)
    assert page.context.cookies() == []


def test_the_other_welsh_pages_pass_too(page, live_server, open_in_welsh):
    for path in (
        "/cy/anonymity/",
        "/cy/receipt/check/",
        "/cy/follow-up/case/",
        "/cy/nowhere/",
        "/cy/report/trends/",
    ):
        page.goto(live_server.url + path)
        _check(page)
    # A kind for trends only asks no contact, exclusion or name (decision 0034).
    assert page.locator('[name="contact"], [name="not_to_handle"], [name="identity"]').count() == 0
    assert page.context.cookies() == []
    page.goto(live_server.url + "/cy/follow-up/")
    page.get_by_label("Eich tocyn achos").fill("dim-tocyn")
    page.get_by_role("button", name="Parhau").click()
    page.get_by_text("Nid oes adroddiad sy'n cyfateb i'r tocyn hwnnw").first.wait_for()
    _check(page)
    assert page.context.cookies() == []


def test_the_check_in_after_closure_is_asked_in_welsh(page, live_server, open_in_welsh):
    kind = make_case_type(slug="asked", name="Asked", name_cy="Gofynnwyd", checkin_after_weeks=0)
    _, token = make_case(case_type=kind, state="closed", with_token=True)
    page.goto(live_server.url + "/cy/follow-up/")
    assert page.context.cookies() == []
    page.get_by_label("Eich tocyn achos").fill(token)
    page.get_by_role("button", name="Parhau").click()
    page.wait_for_url("**/cy/follow-up/case/")
    _check(page)  # with the question's inset
    page.locator('a[href="/cy/follow-up/check-in/"]').first.click()
    page.wait_for_url("**/cy/follow-up/check-in/")
    _check(page)
    page.locator("form button[type=submit]").first.click()  # no answer: its error, in Welsh
    page.locator(".govuk-error-summary").wait_for()
    _check(page)
    page.get_by_label("Nac oes").check()
    page.locator("form button[type=submit]").first.click()
    page.locator(".govuk-panel--confirmation").wait_for()
    _check(page)
    assert Case.objects.get(case_type=kind).checkin_answer == "no"
