"""Checking a receipt (issue 16, section 3): anyone uploads or pastes a receipt and is told
whether this service issued it unchanged, and the day the report was made; bad input gets a
clear error, and nothing is kept, logged or set in a cookie."""

import datetime as dt
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake.receipts import receipt_make
from tests.intake.conftest import answers

CHECK = "/receipt/check/"


@pytest.fixture
def receipt(whistleblowing) -> str:
    return receipt_make(case_type=whistleblowing, day=dt.date(2026, 11, 5))


def _upload(text: str | bytes, name: str = "speak-up-receipt.txt") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/plain")


def _said(answer) -> str:
    """The page's main text, tags removed."""
    main = re.search(r"<main.*?</main>", answer.content.decode(), re.S).group(0)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def test_the_page_explains_itself_and_sets_no_cookie(client, db):
    answer = client.get(CHECK)
    assert answer.status_code == 200 and answer.cookies == {}
    assert "does not say who sent it" in _said(answer)
    assert answer["Referrer-Policy"] == "no-referrer" and "no-store" in answer["Cache-Control"]
    assert 'href="/receipt/check/"' in client.get("/").content.decode()  # in every footer


def test_a_genuine_receipt_uploaded_or_pasted_says_the_day_and_kind(client, receipt):
    for data in ({"receipt_file": _upload(receipt)}, {"receipt_text": receipt}):
        answer = client.post(CHECK, data)
        assert answer.status_code == 200 and answer.cookies == {}
        said = _said(answer)
        assert "This receipt is genuine" in said
        assert "Report made on 5 November 2026" in said
        assert "Kind of report Whistleblowing" in said


def test_a_receipt_saved_on_windows_or_pasted_with_spaces_around_is_still_genuine(client, receipt):
    for text in (receipt.replace("\n", "\r\n"), f"\n\n  {receipt}  \n"):
        assert "This receipt is genuine" in _said(client.post(CHECK, {"receipt_text": text}))


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.replace("2026-11-05", "2026-11-04"),  # the day
        lambda r: r.replace("Whistleblowing", "Fraud"),  # the kind
        lambda r: r.replace("Receipt number: ", "Receipt number:  "),  # one space
        lambda r: r.rsplit("Signature: ", 1)[0],  # no signature
        lambda r: r.rsplit("Signature: ", 1)[0] + "Signature: " + "0" * 64,  # a made-up one
        lambda r: "Anything at all",
    ],
)
def test_a_changed_receipt_cannot_be_confirmed_and_says_nothing_of_itself(client, receipt, change):
    answer = client.post(CHECK, {"receipt_file": _upload(change(receipt))})
    said = _said(answer)
    assert answer.status_code == 200
    assert "We cannot confirm this receipt" in said
    assert "genuine" not in said and "2026" not in said


def test_a_receipt_signed_under_another_key_cannot_be_confirmed(client, whistleblowing, settings):
    settings.SECRET_KEY = "another-installation-" + "x" * 40
    other = receipt_make(case_type=whistleblowing, day=dt.date(2026, 11, 5))
    settings.SECRET_KEY = "back-to-ours-" + "y" * 40
    assert "We cannot confirm" in _said(client.post(CHECK, {"receipt_text": other}))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Upload the receipt, or paste its text into the box."),
        ({"receipt_text": "   "}, "Upload the receipt, or paste its text into the box."),
        (
            {"receipt_file": _upload(b"\x89PNG\r\n\x1a\n\xff\xfe", "photo.png")},
            "The file is not a receipt. Choose the text file you downloaded.",
        ),
        (
            {"receipt_file": _upload(b"x" * 100_000)},
            "The file is too big to be a receipt.",
        ),
        (
            {"receipt_file": _upload("a"), "receipt_text": "b"},
            "Upload the receipt or paste its text, not both.",
        ),
    ],
)
def test_bad_input_gets_a_linked_error_and_keeps_what_was_typed(client, db, data, error):
    answer = client.post(CHECK, data)
    page = answer.content.decode()
    assert answer.status_code == 400
    assert f'<a href="#id_receipt_file">{html.escape(error, quote=True)}</a>' in page
    assert "<title>Error: Check a receipt" in page
    if data.get("receipt_text", "").strip():
        assert ">b</textarea>" in page


def test_pasted_text_longer_than_any_receipt_is_refused(client, db):
    answer = client.post(CHECK, {"receipt_text": "x" * 9_000})
    assert answer.status_code == 400
    assert 'href="#id_receipt_text"' in answer.content.decode()


def test_the_receipt_from_a_real_report_checks_as_genuine(client, whistleblowing):
    page = client.post(f"/report/{whistleblowing.slug}/send/", answers(whistleblowing))
    issued = html.unescape(
        re.search(r'name="receipt" value="([^"]+)"', page.content.decode(), re.S).group(1)
    )
    downloaded = client.post("/receipt/", {"receipt": issued}).content
    said = _said(client.post(CHECK, {"receipt_file": _upload(downloaded)}))
    assert "This receipt is genuine" in said
    from django.utils import timezone

    today = timezone.localdate()
    assert f"Report made on {today.day} {today:%B %Y}" in said


def test_nothing_checked_is_logged(client, receipt, caplog):
    caplog.set_level("DEBUG")
    client.post(CHECK, {"receipt_text": receipt})
    client.post(CHECK, {"receipt_file": _upload(b"\xff\xfe")})
    number = re.search(r"Receipt number: (\w+)", receipt).group(1)
    assert number not in caplog.text and "2026-11-05" not in caplog.text
