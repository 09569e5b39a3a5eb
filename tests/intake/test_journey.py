"""The reporter's journey through the test client: report, token, follow-up, reply, evidence."""

import io
import re

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, Evidence, MessageKind
from cases.selectors import case_content, message_list_for_case
from cases.services import message_add
from intake.followup import COOKIE
from intake.showagain import COOKIE as SHOW_AGAIN_COOKIE
from tests.dbdump import encodings_of
from tests.intake.conftest import answers

REPORT = "/report/whistleblowing/"
SEND = "/report/whistleblowing/send/"


def _token(response) -> str:
    match = re.search(rb'id="token">([0-9A-Z-]+)<', response.content)
    assert match, "no token on the receipt page"
    return match.group(1).decode()


def _send(client, case_type, **overrides):
    return client.post(SEND, answers(case_type, **overrides))


def test_the_empty_form_and_the_start_page_set_no_cookie(client, whistleblowing):
    for path in ("/", REPORT, "/anonymity/", "/follow-up/"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.cookies == {}, path


def test_every_reporter_page_carries_the_privacy_headers(client, whistleblowing):
    pages = [
        client.get("/"),
        client.get(REPORT),
        client.post(REPORT, answers(whistleblowing)),
        _send(client, whistleblowing),
        client.post("/follow-up/", {"token": "wrong"}),
    ]
    for answer in pages:
        assert answer["Referrer-Policy"] == "no-referrer"
        assert "no-store" in answer["Cache-Control"]
        csp = answer["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp


def test_a_malformed_form_shows_the_errors_and_keeps_what_was_typed(client, whistleblowing):
    answer = client.post(REPORT, answers(whistleblowing, when="", identity="named", name=""))
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "There is a problem" in text
    assert 'href="#id_when"' in text and "Select when it happened" in text
    assert "Enter your name, or choose to stay anonymous" in text
    assert "Invoices are approved without checks." in text


def test_check_your_answers_comes_before_anything_is_stored(client, whistleblowing):
    answer = client.post(REPORT, answers(whistleblowing))
    assert answer.status_code == 200
    assert "Check your answers" in answer.content.decode()
    assert Case.objects.count() == 0
    changed = client.post(REPORT, {**answers(whistleblowing), "change": "1"})
    assert "Invoices are approved without checks." in changed.content.decode()


def test_sending_files_one_sealed_case_and_shows_the_token_once(client, whistleblowing):
    answer = _send(
        client, whistleblowing, not_to_handle="J. Smith, Finance", contact="me@home.example"
    )
    assert answer.status_code == 200
    token = _token(answer)
    case = Case.objects.get()
    content = case_content(case)
    assert content.answers["what_happened"] == "Invoices are approved without checks."
    assert content.answers["not_to_handle"] == "J. Smith, Finance"
    assert content.reporter_contact == "me@home.example"
    assert case.category.slug == "fraud" and case.org_unit.slug == "finance"
    assert not case.reporter_named
    # One cookie only: the token page's sealed, short-lived "show again".
    assert set(answer.cookies) == {SHOW_AGAIN_COOKIE}
    shown = answer.cookies[SHOW_AGAIN_COOKIE]
    assert shown["secure"] and shown["httponly"] and shown["samesite"] == "Strict"
    assert shown["max-age"] == 600
    assert [n for n in encodings_of(token.replace("-", "")) if n in shown.value.encode()] == []
    assert "Download a receipt" in answer.content.decode()
    assert len(token.replace("-", "")) == 28


def test_sending_twice_files_one_case_and_shows_the_same_token(client, whistleblowing):
    first = _send(client, whistleblowing)
    second = _send(client, whistleblowing)  # reload, or back to check your answers and send
    assert first.status_code == 200 and second.status_code == 200
    assert _token(second) == _token(first)
    assert Case.objects.count() == 1


def test_a_repeat_from_another_browser_files_nothing_and_shows_no_token(client, whistleblowing):
    from django.test import Client

    _send(client, whistleblowing)
    elsewhere = _send(Client(), whistleblowing)
    assert elsewhere.status_code == 409
    assert Case.objects.count() == 1
    assert b'id="token"' not in elsewhere.content


def test_the_questions_page_starts_the_key_that_recognises_a_repeat(client, whistleblowing):
    form = client.get(REPORT).content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', form).group(1)
    check = client.post(REPORT, {**answers(whistleblowing), "submission_key": key})
    assert f'name="submission_key" value="{key}"' in check.content.decode()
    changed = client.post(REPORT, {**answers(whistleblowing), "submission_key": key, "change": "1"})
    assert f'name="submission_key" value="{key}"' in changed.content.decode()


def test_a_named_report_only_where_the_case_type_allows_it(client, whistleblowing):
    whistleblowing.reporting_levels = "anonymous"
    whistleblowing.save(update_fields=["reporting_levels"])
    _send(client, whistleblowing, identity="named", name="Alex")
    case = Case.objects.get()
    assert not case.reporter_named and "name" not in case_content(case).answers


def test_the_receipt_downloads_only_as_issued(client, whistleblowing):
    page = _send(client, whistleblowing).content.decode()
    receipt = re.search(r'name="receipt" value="([^"]+)"', page, re.S).group(1)
    import html

    receipt = html.unescape(receipt)
    download = client.post("/receipt/", {"receipt": receipt})
    assert download.status_code == 200
    text = download.content.decode()
    assert "Kind of report: Whistleblowing" in text and "Signature: " in text
    assert "Invoices" not in text
    forged = client.post("/receipt/", {"receipt": receipt.replace("Whistleblowing", "Fraud")})
    assert forged.status_code == 400


def test_leaving_the_token_page_needs_the_token_kept(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    unticked = client.post("/your-token/", {})
    assert unticked.status_code == 400 and _token(unticked) == token
    confirmed = client.post("/your-token/", {"kept": "yes"})
    assert confirmed.status_code == 302 and confirmed["Location"] == "/next-steps/"
    assert client.get("/next-steps/").status_code == 200


def test_following_up_shows_progress_and_messages_and_takes_a_reply(
    client, whistleblowing, django_user_model
):
    staff_user = django_user_model.objects.create_user(username="jane.doe.staff")
    token = _token(_send(client, whistleblowing))
    case = Case.objects.get()
    message_add(
        case=case, kind=MessageKind.TO_REPORTER, body="Thanks, we are on it.", author=staff_user
    )
    message_add(case=case, kind=MessageKind.INTERNAL_NOTE, body="Secret note", author=staff_user)

    start = client.post("/follow-up/", {"token": token.lower().replace("-", " ")})
    assert start.status_code == 302
    cookie = start.cookies[COOKIE]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
    page = client.get("/follow-up/case/")
    text = page.content.decode()
    assert "Thanks, we are on it." in text
    assert "Secret note" not in text and staff_user.username not in text
    assert "We will acknowledge your report by" in text
    form_key = re.search(r'name="form_key" value="([^"]+)"', text).group(1)

    assert (
        client.post(
            "/follow-up/reply/", {"body": "Here is more.", "form_key": "forged"}
        ).status_code
        == 403
    )
    assert client.post("/follow-up/reply/", {"body": "", "form_key": form_key}).status_code == 400
    assert (
        client.post(
            "/follow-up/reply/", {"body": "Here is more.", "form_key": form_key}
        ).status_code
        == 302
    )
    bodies = [m.body for m in message_list_for_case(case, include_internal=False)]
    assert bodies[-1] == "Here is more."
    assert CaseEvent.objects.filter(case=case, code="case.viewed_by_reporter").exists()


def test_evidence_added_on_follow_up_is_cleaned_and_sealed(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    client.post("/follow-up/", {"token": token})
    text = client.get("/follow-up/case/").content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', text).group(1)
    upload = io.BytesIO(b"Notes about the invoices\n")
    upload.name = "../../notes.txt"
    answer = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": upload})
    assert answer.status_code == 200
    evidence = Evidence.objects.get()
    assert evidence.content_type == "text/plain" and evidence.from_reporter
    hostile = io.BytesIO(b"MZ\x90\x00 not really a picture")
    hostile.name = "photo.jpg"
    refused = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": hostile})
    assert refused.status_code == 400 and Evidence.objects.count() == 1


def test_a_hostile_file_with_the_report_stores_nothing_and_keeps_the_answers(
    client, whistleblowing
):
    bad = io.BytesIO(b"<html><script>alert(1)</script></html>")
    bad.name = "report.pdf"
    answer = client.post(SEND, {**answers(whistleblowing), "evidence": bad})
    assert answer.status_code == 400
    assert Case.objects.count() == 0
    assert "Invoices are approved without checks." in answer.content.decode()


def test_an_oversized_file_is_refused_as_it_streams(client, whistleblowing, settings):
    settings.SPEAKUP_EVIDENCE_MAX_BYTES = 10_000
    big = io.BytesIO(b"a" * 50_000)
    big.name = "big.txt"
    answer = client.post(SEND, {**answers(whistleblowing), "evidence": big})
    assert answer.status_code == 400 and "too big" in answer.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.parametrize("typed", ["wrong", "", "x" * 5000, "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV"])
def test_wrong_and_malformed_tokens_get_the_same_answer(client, whistleblowing, typed):
    _send(client, whistleblowing)
    answer = client.post("/follow-up/", {"token": typed})
    assert answer.status_code in (400, 404)
    assert COOKIE not in answer.cookies


def test_signing_out_clears_the_site_data(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    client.post("/follow-up/", {"token": token})
    text = client.get("/follow-up/case/").content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', text).group(1)
    assert client.post("/follow-up/sign-out/").status_code == 403  # another site cannot
    answer = client.post("/follow-up/sign-out/", {"form_key": form_key})
    assert answer["Clear-Site-Data"] == '"cookies", "storage", "cache"'
    assert answer.cookies[COOKIE].value == ""
    assert client.get("/follow-up/case/").status_code == 403


def test_the_follow_up_ends_after_fifteen_idle_minutes(client, whistleblowing):
    import datetime as dt

    import time_machine

    token = _token(_send(client, whistleblowing))
    client.post("/follow-up/", {"token": token})
    assert client.get("/follow-up/case/").status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        assert client.get("/follow-up/case/").status_code == 403


def test_support_is_chosen_by_the_reports_category(client, whistleblowing):
    from cases.models import Category
    from intake.models import SupportResource

    SupportResource.objects.create(title="Counselling line")
    fraud = SupportResource.objects.create(title="Counter-fraud advice")
    fraud.categories.add(Category.objects.get(slug="fraud"))
    other = SupportResource.objects.create(title="Harassment advisers")
    other.categories.add(
        Category.objects.create(case_type=whistleblowing, slug="harassment", name="Harassment")
    )
    start = client.get("/").content.decode()
    assert "Counselling line" in start and "Counter-fraud advice" not in start
    receipt = _send(client, whistleblowing).content.decode()
    assert "Counselling line" in receipt and "Counter-fraud advice" in receipt
    assert "Harassment advisers" not in receipt


def test_posts_without_a_submission_key_are_never_taken_for_repeats(client, whistleblowing):
    for _ in range(2):
        answer = client.post(SEND, answers(whistleblowing, submission_key=""))
        assert answer.status_code == 200
    assert Case.objects.count() == 2


def test_a_failure_while_saving_keeps_nothing_and_the_reporter_can_send_again(
    client, whistleblowing, monkeypatch, _evidence_dir
):
    from django.db import IntegrityError

    from workflows.services import case_file as real

    def database_full(**kwargs):
        raise IntegrityError("could not extend file")

    upload = io.BytesIO(b"Notes\n")
    upload.name = "notes.txt"
    monkeypatch.setattr("intake.services.case_file", database_full)
    answer = client.post(SEND, {**answers(whistleblowing), "evidence": upload})
    assert answer.status_code == 503 and "Nothing was kept" in answer.content.decode()
    assert "Invoices are approved without checks." in answer.content.decode()
    assert Case.objects.count() == 0 and not [p for p in _evidence_dir.rglob("*") if p.is_file()]
    monkeypatch.setattr("intake.services.case_file", real)
    upload.seek(0)
    again = client.post(SEND, {**answers(whistleblowing), "evidence": upload})
    assert again.status_code == 200 and Case.objects.count() == 1


def test_a_post_from_another_site_is_refused(client, whistleblowing):
    answer = client.post(SEND, answers(whistleblowing), HTTP_ORIGIN="https://evil.example")
    assert answer.status_code == 403 and Case.objects.count() == 0
    assert client.post(SEND, answers(whistleblowing), HTTP_ORIGIN="null").status_code == 200


def test_odd_form_keys_and_receipts_are_refused_not_crashed(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    client.post("/follow-up/", {"token": token})
    assert client.post("/follow-up/reply/", {"body": "x", "form_key": "ключ"}).status_code == 403
    assert (
        client.post("/receipt/", {"receipt": "Speak Up receipt\nSignature: ключ"}).status_code
        == 400
    )


def test_a_reporters_file_is_dated_to_the_day_on_disk(client, whistleblowing, _evidence_dir):
    import datetime as dt

    upload = io.BytesIO(b"Notes\n")
    upload.name = "notes.txt"
    client.post(SEND, {**answers(whistleblowing), "evidence": upload})
    (stored,) = [p for p in _evidence_dir.rglob("*") if p.is_file()]
    modified = dt.datetime.fromtimestamp(stored.stat().st_mtime, tz=dt.UTC)
    assert modified.astimezone(timezone.get_current_timezone()).time() == dt.time(0, 0)


def test_the_follow_up_ends_two_hours_after_it_began_however_active(client, whistleblowing):
    import datetime as dt

    import time_machine

    token = _token(_send(client, whistleblowing))
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.post("/follow-up/", {"token": token})
        for _ in range(12):
            clock.shift(dt.timedelta(minutes=10))
            assert client.get("/follow-up/case/").status_code == 200
        clock.shift(dt.timedelta(minutes=10))
        assert client.get("/follow-up/case/").status_code == 403
