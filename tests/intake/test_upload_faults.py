"""A file never costs a reporter their report or their answers: too many or too big files come
back as the same form with its error (never Django's bare "Bad Request"), a file that cannot
be checked is refused with words, a file that cannot be stored is left out of the report and
named, and files added on follow-up are kept all together or not at all."""

import io
import re

import pytest

from cases.models import Case, Evidence
from tests.intake.conftest import answers

SEND = "/report/whistleblowing/send/"
ANSWER = "Invoices are approved without checks."


def _file(name: str, content: bytes = b"Notes about the invoices\n") -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def _stored_files(folder):
    return [p for p in folder.rglob("*") if p.is_file()]


def _disk_full_for(name: str):
    """``evidence_attach`` as it is, except that storing ``name`` finds the disk full."""
    from cases.services import evidence_attach

    def attach(**kwargs):
        if kwargs["original_name"] == name:
            raise OSError("No space left on device")
        return evidence_attach(**kwargs)

    return attach


def _follow_up(client, case_type) -> str:
    page = client.post(SEND, answers(case_type))
    token = re.search(rb'id="token">([0-9A-Z-]+)<', page.content).group(1).decode()
    client.post("/follow-up/", {"token": token})
    text = client.get("/follow-up/case/").content.decode()
    return re.search(r'name="form_key" value="([^"]+)"', text).group(1)


def test_too_many_files_on_the_report_come_back_on_the_form_with_the_answers(
    client, whistleblowing, _evidence_dir
):
    files = [_file(f"notes-{n}.txt") for n in range(7)]
    answer = client.post(SEND, {**answers(whistleblowing), "evidence": files})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "Check your answers before sending your report" in text
    assert "You can add up to 5 files at a time. Choose fewer files." in text
    assert 'href="#evidence"' in text  # the GOV.UK error summary points at the file input
    assert ANSWER in text and 'name="submission_key"' in text
    assert Case.objects.count() == 0 and _stored_files(_evidence_dir) == []


def test_five_files_are_fine(client, whistleblowing):
    files = [_file(f"notes-{n}.txt") for n in range(5)]
    assert client.post(SEND, {**answers(whistleblowing), "evidence": files}).status_code == 200
    assert Evidence.objects.count() == 5


def test_too_many_or_too_big_files_on_follow_up_come_back_on_its_page(
    client, whistleblowing, settings, _evidence_dir
):
    form_key = _follow_up(client, whistleblowing)
    files = [_file(f"notes-{n}.txt") for n in range(6)]
    answer = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": files})
    assert answer.status_code == 400
    assert "You can add up to 5 files at a time" in answer.content.decode()
    assert "Your report" in answer.content.decode()
    settings.SPEAKUP_EVIDENCE_MAX_BYTES = 1_000
    big = _file("big.txt", b"a" * 5_000)
    answer = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": big})
    assert answer.status_code == 400 and "big.txt is too big" in answer.content.decode()
    assert Evidence.objects.count() == 0 and _stored_files(_evidence_dir) == []


def test_a_request_over_the_field_size_limit_gets_a_reporter_page(whistleblowing, settings):
    from django.test import Client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    browser = Client(raise_request_exception=False)
    answer = browser.post(SEND, answers(whistleblowing, what_happened="x" * 5_000))
    assert answer.status_code == 400
    assert answer["Referrer-Policy"] == "no-referrer" and "no-store" in answer["Cache-Control"]
    assert "Something you sent could not be read" in answer.content.decode()


def test_a_file_the_checks_trip_over_is_refused_with_words_and_the_answers_kept(
    client, whistleblowing, monkeypatch
):
    def fault(data, *, declared_name):
        raise KeyError("word/document.xml")

    monkeypatch.setattr("intake.views.clean_evidence", fault)
    answer = client.post(SEND, {**answers(whistleblowing), "evidence": _file("report.docx")})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "We could not check report.docx, so we cannot keep it." in text
    assert "Save it as a PDF and try again, or send your report without it." in text
    assert ANSWER in text and Case.objects.count() == 0


def test_a_file_that_cannot_be_stored_is_left_out_and_the_report_kept(
    client, whistleblowing, monkeypatch, _evidence_dir
):
    monkeypatch.setattr("intake.services.evidence_attach", _disk_full_for("second.txt"))
    files = [_file("first.txt"), _file("second.txt")]
    answer = client.post(SEND, {**answers(whistleblowing), "evidence": files})
    assert answer.status_code == 200
    text = answer.content.decode()
    assert re.search(rb'id="token">([0-9A-Z-]+)<', answer.content)
    assert "second.txt: <strong>we could not keep this file just now." in text
    assert "add it again when you follow up" in text
    case = Case.objects.get()
    assert [e.content_type for e in case.evidence.all()] == ["text/plain"]
    assert len(_stored_files(_evidence_dir)) == 1


def test_follow_up_files_are_kept_all_together_or_not_at_all(
    client, whistleblowing, monkeypatch, _evidence_dir
):
    form_key = _follow_up(client, whistleblowing)
    monkeypatch.setattr("intake.services.evidence_attach", _disk_full_for("second.txt"))
    files = [_file("first.txt"), _file("second.txt")]
    answer = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": files})
    assert answer.status_code == 503
    text = answer.content.decode()
    assert (
        "Your files could not be kept just now. Nothing was added. Try again in a minute." in text
    )
    assert "There is a problem" in text
    assert Evidence.objects.count() == 0 and _stored_files(_evidence_dir) == []
    monkeypatch.undo()
    files = [_file("first.txt"), _file("second.txt")]
    again = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": files})
    assert again.status_code == 200 and Evidence.objects.count() == 2


def test_a_resend_from_the_try_again_page_asks_for_the_files_again(client, whistleblowing):
    answer = client.post(SEND, {**answers(whistleblowing), "files_not_carried": "1"})
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Choose your files again, then send your report." in text and ANSWER in text
    assert Case.objects.count() == 0


@pytest.mark.slow
def test_a_database_lost_in_the_middle_of_sending_keeps_nothing_and_says_so(
    whistleblowing_committed, monkeypatch, _evidence_dir
):
    from django.db import OperationalError
    from django.test import Client

    from cases.services import evidence_attach as real

    case_type = whistleblowing_committed
    stored = []

    def attach(**kwargs):
        stored.append(real(**kwargs))
        return stored[-1]

    def lost(case):  # after the files were written, before the commit
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("intake.services.evidence_attach", attach)
    monkeypatch.setattr("intake.services.progress_of", lost)
    browser = Client(raise_request_exception=False)
    answer = browser.post(SEND, {**answers(case_type), "evidence": _file("notes.txt")})
    assert answer.status_code == 503
    assert "Nothing was kept" in answer.content.decode() and ANSWER in answer.content.decode()
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0
    assert len(stored) == 1 and _stored_files(_evidence_dir) == []
