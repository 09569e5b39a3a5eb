"""Every accepted format, with a marker in every place it can name a person or a device,
uploaded through HTTP on the report form and on follow-up: what is stored (decrypted) holds
no marker, still opens, and the reporter is told exactly what was removed.

The expected lists of findings are written by hand in tests/intake/corpus.py, next to the
builders that put each marker in.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Callable
from functools import cache

import pikepdf
import pytest
from PIL import Image, ImageCms

from cases.models import CaseEvent, Evidence
from cases.selectors import evidence_read
from intake.cleaning.common import ALLOWED
from intake.files import clean_evidence
from tests.intake import corpus
from tests.intake.conftest import FORMS, upload_through

# name a reporter might give it, builder, what the reporter must be told was removed, and
# the kind the audit record names.
FORMATS: dict[str, tuple[str, Callable[[], bytes], set[str], str]] = {
    "jpg": ("IMG_0042.JPG", corpus.jpeg, corpus.JPEG_FINDINGS, "jpeg"),
    "png": ("Screenshot 2024-01-02.png", corpus.png, corpus.PNG_FINDINGS, "png"),
    "pdf": ("minutes.pdf", corpus.pdf, corpus.PDF_FINDINGS, "pdf"),
    "docx": ("minutes.docx", corpus.docx, corpus.DOCX_FINDINGS, "docx"),
    "xlsx": ("rota.xlsx", corpus.xlsx, corpus.XLSX_FINDINGS, "xlsx"),
    "pptx": ("briefing.pptx", corpus.pptx, corpus.PPTX_FINDINGS, "pptx"),
    "txt": ("notes.txt", lambda: b"Notes, written by me.\n", set(), "text"),
}


@cache
def _original(extension: str) -> bytes:
    return FORMATS[extension][1]()


def test_the_corpus_covers_every_accepted_format():
    assert set(FORMATS) == {kind.extension for kind in ALLOWED}


@pytest.mark.parametrize("extension", [e for e in FORMATS if e != "txt"])
def test_every_marker_is_really_in_the_original(extension):
    # Otherwise "no marker after cleaning" would prove nothing.
    assert len(corpus.markers_in(_original(extension))) >= 20


@pytest.mark.parametrize("extension", list(FORMATS))
def test_cleaning_reports_exactly_what_the_file_held(extension):
    name, _, expected, _ = FORMATS[extension]
    cleaned = clean_evidence(_original(extension), declared_name=name)
    assert set(cleaned.removed) == expected
    assert len(cleaned.removed) == len(set(cleaned.removed))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("extension", list(FORMATS))
def test_an_upload_is_stored_without_a_single_marker(
    client, whistleblowing, form, extension, _evidence_dir
):
    name, _, expected, kind = FORMATS[extension]
    answer = upload_through(client, whistleblowing, form, (name, _original(extension)))

    assert answer.status_code == 200
    evidence = Evidence.objects.get()
    stored = b"".join(evidence_read(evidence))
    assert stored
    assert corpus.markers_in(stored) == set()
    # Not in the ciphertext on disk either (it is encrypted, but check what is there): each
    # marker the original carried, whole (three bytes such as "MK-" turn up in random
    # ciphertext about once in every hundred files of this size).
    planted = corpus.markers_in(_original(extension))  # none in the plain-text file
    for path in _evidence_dir.rglob("*"):
        if path.is_file():
            on_disk = path.read_bytes()
            assert not [m for m in planted if m.encode() in on_disk]
    page = html.unescape(answer.content.decode())
    for finding in expected:
        assert finding in page, finding
    if not expected:
        assert "no hidden details found" in page
    event = CaseEvent.objects.get(code="evidence.attached")
    assert event.payload == {"kind": kind}
    _still_opens(extension, stored)


def _still_opens(extension: str, stored: bytes) -> None:
    """What was stored is still the evidence: it opens and shows what the original showed."""
    if extension in ("jpg", "png"):
        with Image.open(io.BytesIO(stored)) as picture:
            assert picture.size == (64, 48)
            profile = ImageCms.ImageCmsProfile(io.BytesIO(picture.info["icc_profile"]))
            assert ImageCms.getProfileDescription(profile).strip() == "Colour profile"
    elif extension == "pdf":
        with pikepdf.open(io.BytesIO(stored)) as pdf:
            assert len(pdf.pages) == 1
            pdf.pages[0].contents_coalesce()  # flattening appended the fields' look
            assert corpus.VISIBLE_TEXT.encode() in pdf.pages[0].Contents.read_bytes()
            assert "/AcroForm" not in pdf.Root and "/OpenAction" not in pdf.Root
            links = [a for a in pdf.pages[0].Annots if a.Subtype == pikepdf.Name.Link]
            assert [str(link.A.URI) for link in links if "/A" in link] == [
                "https://example.org/policy"
            ]
        # The visible form field's value was drawn into the page.
        assert b"(Yes) Tj" in corpus.pdf_inflated(stored)
    elif extension in ("docx", "xlsx", "pptx"):
        assert corpus.office_problems(stored) == []
        with zipfile.ZipFile(io.BytesIO(stored)) as archive:
            text = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
        assert corpus.VISIBLE_TEXT.encode() in text
        if extension == "docx":
            # Tracked changes stay, anonymous: the words they changed may be the evidence.
            assert b"Inserted words." in text and b"Deleted words." in text
            assert b'w:author="Author"' in text and b"w:date=" not in text
            assert b"commentReference" not in text and b"rsid" not in text
    else:
        assert stored == _original(extension)


@pytest.mark.parametrize("extension", ["docx", "xlsx", "pptx"])
def test_the_original_office_corpus_is_itself_a_whole_package(extension):
    # So "the cleaned one is whole" means the cleaning kept it whole.
    assert corpus.office_problems(_original(extension)) == []


def test_a_pdf_gets_a_new_file_id_and_keeps_no_earlier_version():
    original = _original("pdf")
    cleaned = clean_evidence(original, declared_name="x.pdf").content
    with pikepdf.open(io.BytesIO(original)) as before, pikepdf.open(io.BytesIO(cleaned)) as after:
        assert bytes(before.trailer.ID[0]) != bytes(after.trailer.ID[0])
    # The first revision's text is still in the original file, though no viewer shows it.
    assert "MK-PDF-OLDREVISION" in corpus.markers_in(original)
    assert "MK-PDF-OLDREVISION" not in corpus.pdf_inflated(original).decode("latin-1")
    assert corpus.markers_in(cleaned) == set()
    assert cleaned.count(b"%%EOF") == 1


def test_a_picture_inside_a_document_keeps_its_pixels_and_a_neutral_profile():
    cleaned = clean_evidence(_original("docx"), declared_name="m.docx").content
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        inside = archive.read("word/media/image1.jpeg")
    with zipfile.ZipFile(io.BytesIO(_original("docx"))) as archive:
        photo = archive.read("word/media/image1.jpeg")
    before, after = Image.open(io.BytesIO(photo)), Image.open(io.BytesIO(inside))
    assert after.tobytes() == before.tobytes()
    profile = ImageCms.ImageCmsProfile(io.BytesIO(after.info["icc_profile"]))
    assert ImageCms.getProfileDescription(profile).strip() == "Colour profile"


def test_a_chart_keeps_its_cleaned_workbook():
    cleaned = clean_evidence(_original("docx"), declared_name="m.docx").content
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        workbook = archive.read("word/embeddings/Microsoft_Excel_Worksheet.xlsx")
        chart = archive.read("word/charts/chart1.xml")
    assert corpus.office_problems(workbook) == []
    assert corpus.markers_in(workbook) == set()
    assert b"externalData" in chart


def test_the_audit_record_names_each_kind_in_a_short_word():
    from cases.services import evidence_kind

    # By hand: what the timeline says for each kind we accept; anything else is "other".
    expected = {
        "image/jpeg": "jpeg",
        "image/png": "png",
        "application/pdf": "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
        "text/plain": "text",
    }
    assert {kind.content_type: evidence_kind(kind.content_type) for kind in ALLOWED} == expected
    assert evidence_kind("application/x-unknown") == "other"


def test_the_audit_payload_rule_still_refuses_a_content_type(case_type):
    from cases.audit import event_record
    from tests.builders import make_case

    with pytest.raises(ValueError, match="short identifier"):
        event_record(
            case=make_case(case_type=case_type),
            code="evidence.attached",
            payload={
                "kind": "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            },
        )
