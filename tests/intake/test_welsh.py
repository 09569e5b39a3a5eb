"""Welsh on the reporter side (docs/decisions/0025-welsh.md): /cy/ pages are in Welsh, the
language rides in the address (no cookie before follow-up), forms and redirects keep it,
staff pages stay English, organisation texts fall back to English marked lang="en", and every
string a reporter can see has a Welsh translation in the catalogue and its compiled file."""

import gettext
import html
import io
import re
import zipfile

import pytest
from django.core import mail

from cases.models import Case, MessageKind, OrganisationalUnit
from cases.selectors import case_content
from cases.services import message_add
from intake.followup import COOKIE
from intake.messages import PO_PATH, read_po, reporter_messages
from intake.models import Branding, SupportResource
from intake.receipts import receipt_read
from intake.showagain import COOKIE as SHOW_AGAIN_COOKIE
from tests.intake.conftest import answers

REPORT = "/cy/report/whistleblowing/"
SEND = "/cy/report/whistleblowing/send/"


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _token(response) -> str:
    match = re.search(rb'id="token">([0-9A-Z-]+)<', response.content)
    assert match, "no token on the page"
    return match.group(1).decode()


# --- The catalogue ------------------------------------------------------------------------------

# Strings that must be among the reporter's, one from each kind of source (written out here,
# so that an extraction that silently finds nothing fails).
SURE_TO_BE_FOUND = [
    ("Raise a concern", ""),  # a reporter template
    ("There is a problem", ""),  # an included template
    ("Enter what happened", ""),  # a form's error message
    ("No report matches that token. Check it and try again.", ""),  # a view
    ("Your report could not be saved just now. Nothing was kept.", ""),  # a service's error
    # marked through an alias (gettext_lazy as _lazy), as the file checks do
    ("Password-protected files can't be accepted. Please remove the password first.", ""),
    ("We have your report. Someone will look at it soon.", ""),  # a workflow's reporter words
    ("There is news on your report.", ""),  # the reporter's e-mail
    ("There is news on your report", ""),  # its subject
    (
        "Your report will be deleted %(days)s day after the case is closed.",
        "Your report will be deleted %(days)s days after the case is closed.",
    ),
]


def test_the_reporter_strings_are_found_in_every_kind_of_source():
    found = reporter_messages()
    for message in SURE_TO_BE_FOUND:
        assert message in found, message
    assert len(found) > 200


def test_every_reporter_string_has_a_welsh_translation():
    catalogue = read_po()
    missing = [m for m in reporter_messages() if m not in catalogue]
    assert missing == [], "run: python manage.py reporter_messages, then translate"
    untranslated = [
        m
        for m, entry in catalogue.items()
        if entry.fuzzy or not all(s.strip() for s in entry.msgstr)
    ]
    assert untranslated == []


def test_the_catalogue_holds_no_string_a_reporter_cannot_see():
    # Staff pages are English: a staff string here would be translated for nobody.
    assert set(read_po()) - set(reporter_messages()) == set()


def test_the_compiled_catalogue_matches_the_translations():
    with open(PO_PATH.with_suffix(".mo"), "rb") as compiled:
        welsh = gettext.GNUTranslations(compiled)
    for (msgid, plural), entry in read_po().items():
        if plural:
            # Welsh's four forms: 1, 2, "other" (3) and 8.
            for n, form in ((1, 0), (2, 1), (3, 2), (8, 3)):
                assert welsh.ngettext(msgid, plural, n) == entry.msgstr[form], (msgid, n)
        else:
            assert welsh.gettext(msgid) == entry.msgstr[0], msgid


# --- Pages, cookies and addresses -----------------------------------------------------------------


def test_welsh_pages_are_in_welsh_and_set_no_cookie(client, whistleblowing):
    for path, heading in (
        ("/cy/", "Codi pryder"),
        (REPORT, "Dywedwch wrthym beth ddigwyddodd"),
        ("/cy/anonymity/", "Sut mae bod yn ddienw yn gweithio"),
        ("/cy/follow-up/", "Dilyn eich adroddiad"),
        ("/cy/receipt/check/", "Gwirio derbynneb"),
    ):
        answer = client.get(path)
        text = _text(answer)
        assert answer.status_code == 200, path
        assert '<html lang="cy"' in text, path
        assert heading in text, path
        assert "Skip to main content" not in text and "Neidio i'r prif gynnwys" in text, path
        assert answer.cookies == {}, path
        assert answer["Content-Language"] == "cy"


def test_english_stays_at_the_root_whatever_the_browser_asks(client, whistleblowing):
    client.cookies["django_language"] = "cy"  # a cookie another Django site might have set
    answer = client.get("/", HTTP_ACCEPT_LANGUAGE="cy")
    text = _text(answer)
    assert '<html lang="en-GB"' in text and "Raise a concern" in text
    assert "Codi pryder" not in text
    assert "django_language" not in answer.cookies


def test_staff_pages_stay_english_and_unprefixed(client, whistleblowing):
    answer = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="cy")
    assert answer.status_code == 200
    assert 'lang="cy"' not in _text(answer) and "Mewngofnodi" not in _text(answer)
    assert "django_language" not in answer.cookies
    for path in ("/cy/staff/", "/cy/accounts/login/", "/cy/admin/"):
        assert client.get(path).status_code == 404, path


def test_an_unknown_welsh_address_gets_a_welsh_not_found_page(client, db):
    answer = client.get("/cy/no-such-page/")
    assert answer.status_code == 404
    assert "Heb ddod o hyd i'r dudalen" in _text(answer) and '<html lang="cy"' in _text(answer)


def test_the_switcher_links_each_page_to_the_other_language(client, whistleblowing):
    assert 'href="/cy/" hreflang="cy" lang="cy">Cymraeg</a>' in _text(client.get("/"))
    assert 'href="/" hreflang="en" lang="en">English</a>' in _text(client.get("/cy/"))
    welsh_form = _text(client.get("/cy/follow-up/"))
    assert 'href="/follow-up/"' in welsh_form


def test_the_report_form_switches_language_with_what_was_typed(client, whistleblowing):
    page = _text(client.get("/report/whistleblowing/"))
    assert re.search(
        r'<button type="submit" form="report-form" formaction="/cy/report/whistleblowing/"'
        r' formnovalidate name="change" value="1"',
        page,
    )
    typed = {"what_happened": "Typed in English first.", "submission_key": "k" * 32, "change": "1"}
    switched = client.post(REPORT, typed)
    assert switched.status_code == 200 and switched.cookies == {}
    text = _text(switched)
    assert '<html lang="cy"' in text and "Typed in English first." in text
    assert "Mae problem" not in text  # the form again, not its errors


def test_check_your_answers_switches_language_with_the_answers(client, whistleblowing):
    check = _text(client.post("/report/whistleblowing/", answers(whistleblowing)))
    assert 'form="language-form" formaction="/cy/report/whistleblowing/"' in check
    form = re.search(r'<form[^>]*id="language-form">(.*?)</form>', check, re.S).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert fields["what_happened"] == "Invoices are approved without checks."
    welsh = client.post(REPORT, fields)
    assert "Gwiriwch eich atebion cyn anfon eich adroddiad" in _text(welsh)


def test_errors_are_in_welsh(client, whistleblowing):
    answer = client.post(REPORT, answers(whistleblowing, what_happened="", when=""))
    text = _text(answer)
    assert answer.status_code == 400
    assert "Mae problem" in text and "Rhowch beth ddigwyddodd" in text
    assert "Dewiswch pryd ddigwyddodd hyn" in text and "There is a problem" not in text
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writing:
        writing.writestr("payroll.csv", "name,salary\n")
    zipped = client.post(
        SEND, {**answers(whistleblowing), "evidence": _upload("x.zip", archive.getvalue())}
    )
    assert "Ni allwn dderbyn archifau zip" in _text(zipped)
    too_long = client.post(REPORT, answers(whistleblowing, what_happened="x" * 10_001))
    assert "Sicrhewch fod gan y gwerth hwn ddim mwy na 10000 nod" in _text(too_long)


def test_the_whole_journey_keeps_welsh(client, whistleblowing, django_user_model):
    form = _text(client.get(REPORT))
    assert 'action="/cy/report/whistleblowing/"' in form
    check = client.post(REPORT, answers(whistleblowing))
    assert check.cookies == {}
    assert f'action="{SEND}"' in _text(check)
    sent = client.post(SEND, answers(whistleblowing))
    text = _text(sent)
    assert sent.status_code == 200 and "Adroddiad wedi'i anfon" in text
    assert set(sent.cookies) == {SHOW_AGAIN_COOKIE}  # as in English: only "show again"
    assert 'action="/cy/your-token/"' in text and 'action="/cy/receipt/"' in text
    token = _token(sent)
    again = client.get("/cy/your-token/")  # the switcher's target from the token page
    assert _token(again) == token and "Eich tocyn achos yw" in _text(again)
    kept = client.post("/cy/your-token/", {"kept": "yes"})
    assert kept.status_code == 302 and kept["Location"] == "/cy/next-steps/"
    assert "Beth sy'n digwydd nesaf" in _text(client.get("/cy/next-steps/"))

    start = client.post("/cy/follow-up/", {"token": token})
    assert start.status_code == 302 and start["Location"] == "/cy/follow-up/case/"
    assert COOKIE in start.cookies
    case = Case.objects.get()
    staff_user = django_user_model.objects.create_user(username="staff")
    message_add(case=case, kind=MessageKind.TO_REPORTER, body="Diolch.", author=staff_user)
    page = _text(client.get("/cy/follow-up/case/"))
    assert "Mae eich adroddiad gennym. Bydd rhywun yn edrych arno cyn bo hir." in page
    assert "Byddwn yn cydnabod eich adroddiad erbyn" in page
    form_key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    assert 'action="/cy/follow-up/reply/"' in page
    reply = client.post("/cy/follow-up/reply/", {"body": "Rhagor.", "form_key": form_key})
    assert reply.status_code == 302 and reply["Location"] == "/cy/follow-up/case/?sent=1"
    empty = client.post("/cy/follow-up/reply/", {"body": "", "form_key": form_key})
    assert "Rhowch eich neges" in _text(empty)
    # The switcher on a page that answered a post goes where a GET can.
    assert 'href="/follow-up/case/" hreflang="en"' in _text(empty)
    out = client.post("/cy/follow-up/sign-out/", {"form_key": form_key})
    assert "Rydych wedi allgofnodi" in _text(out)


def test_a_welsh_report_keeps_its_fixed_answers_in_english_for_staff(client, whistleblowing):
    client.post(SEND, answers(whistleblowing, when="last-month"))
    assert case_content(Case.objects.get()).answers["when"] == "Last month"


def test_a_welsh_receipt_is_in_welsh_and_checks_anywhere(client, whistleblowing):
    whistleblowing.name_cy = "Chwythu'r chwiban"
    whistleblowing.save(update_fields=["name_cy"])
    sent = _text(client.post(SEND, answers(whistleblowing)))
    receipt = re.search(r'name="receipt" value="([^"]+)"', sent).group(1)
    assert receipt.startswith("Derbynneb Speak Up\n")
    assert "Math o adroddiad: Chwythu'r chwiban\n" in receipt and "\nLlofnod: " in receipt
    read = receipt_read(receipt)
    assert read is not None and read.kind == "Chwythu'r chwiban"
    checked = client.post("/receipt/check/", {"receipt_text": receipt})  # the English page
    assert "This receipt is genuine" in _text(checked)
    forged = receipt.replace("Chwythu", "Chwithu")
    assert receipt_read(forged) is None


# --- Organisation texts -----------------------------------------------------------------------


def test_organisation_texts_show_in_welsh_or_fall_back_marked_english(client, whistleblowing):
    Branding.objects.create(organisation_name="Acme Council", welcome="Welcome, all.")
    whistleblowing.name_cy = "Chwythu'r chwiban"
    whistleblowing.description = "Wrongdoing at work."
    whistleblowing.save(update_fields=["name_cy", "description"])
    SupportResource.objects.create(
        title="Staff counselling", title_cy="Cwnsela i staff", description="Free, any time."
    )
    unit = OrganisationalUnit.objects.get()
    unit.name_cy = "Cyllid"
    unit.save(update_fields=["name_cy"])

    welsh = _text(client.get("/cy/"))
    assert '<p class="govuk-body-l" lang="en">Welcome, all.</p>' in welsh
    assert 'lang="en">Acme Council</span>' in welsh
    assert '"/cy/report/whistleblowing/">Chwythu\'r chwiban</a>' in welsh
    assert '<p class="govuk-body" lang="en">Wrongdoing at work.</p>' in welsh
    assert '<h3 class="govuk-heading-s">Cwnsela i staff</h3>' in welsh
    assert '<p class="govuk-body" lang="en">Free, any time.</p>' in welsh
    form = _text(client.get(REPORT))
    assert f'<option value="{unit.pk}">Cyllid</option>' in form
    assert 'lang="en">Fraud</label>' in form  # the category has no Welsh name

    english = _text(client.get("/"))
    assert "Chwythu" not in english and "Cwnsela" not in english
    assert 'lang="en"' not in english.replace('hreflang="cy" lang="cy"', "")
    assert '<p class="govuk-body-l">Welcome, all.</p>' in english

    branding = Branding.objects.get()
    branding.welcome_cy = "Croeso i bawb."
    branding.organisation_name_cy = "Cyngor Acme"
    branding.save(update_fields=["welcome_cy", "organisation_name_cy"])
    welsh = _text(client.get("/cy/"))
    assert '<p class="govuk-body-l">Croeso i bawb.</p>' in welsh
    assert (
        ">Cyngor Acme</span>" in welsh
        and "<title>Codi pryder \u2013 Cyngor Acme: Codi Llais" in welsh
    )


def test_the_news_email_is_in_english_and_welsh(db):
    from cases.models import ReporterNews
    from cases.news import reporter_news_deliver, reporter_news_record
    from tests.builders import make_case

    case = make_case(reporter_contact="me@example.net")
    ReporterNews.objects.filter(case=case).delete()
    news = reporter_news_record(case)
    assert news is not None and reporter_news_deliver(news.pk) == "sent"
    [email] = mail.outbox
    assert email.subject == "There is news on your report / Mae newyddion am eich adroddiad"
    assert "There is news on your report." in email.body
    assert "Mae newyddion am eich adroddiad." in email.body
    body = email.alternatives[0][0]  # type: ignore[attr-defined]
    assert '<div lang="cy">' in body and "Codi Llais" in body


@pytest.mark.parametrize("path", ["/cy/follow-up/case/", "/cy/report/nothing-here/"])
def test_welsh_refusals_are_in_welsh(client, db, path):
    answer = client.get(path)
    assert answer.status_code in (403, 404)
    assert '<html lang="cy"' in _text(answer)


def test_a_monitoring_question_without_welsh_words_is_marked_english(client, whistleblowing):
    from reports.models import MonitoringQuestion

    MonitoringQuestion.objects.create(
        slug="age", text="How old are you?", answers=[["under_30", "Under 30"]]
    )
    welsh = _text(client.get(REPORT))
    assert '<h2 class="govuk-fieldset__heading" lang="en">How old are you?</h2>' in welsh
    assert 'lang="en">Under 30</label>' in welsh
    assert ">Mae'n well gennyf beidio â dweud</label>" in welsh  # ours, so in Welsh
    english = _text(client.get("/report/whistleblowing/"))
    assert '<h2 class="govuk-fieldset__heading">How old are you?</h2>' in english
    assert ">Prefer not to say</label>" in english
