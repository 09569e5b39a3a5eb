"""End to end: what a reporter uploads is stored cleaned and encrypted, never in clear on disk."""

import io
import tempfile
from pathlib import Path

import pytest

from cases.models import Case, Evidence
from cases.selectors import evidence_read
from tests.intake.conftest import answers
from tests.intake.test_files import PERSON, _jpeg, _pdf


def _send_with(client, case_type, name, content):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post("/report/whistleblowing/send/", {**answers(case_type), "evidence": upload})


@pytest.mark.parametrize(
    ("name", "make", "markers"),
    [
        ("holiday.jpg", _jpeg, [b"GPSMARKER", b"MarkerCam", PERSON.encode()]),
        ("minutes.pdf", _pdf, [PERSON.encode(), b"CreatorMarker", b"ProducerMarker"]),
    ],
)
def test_a_photo_with_gps_and_a_pdf_with_an_author_are_stored_without_them(
    client, whistleblowing, name, make, markers
):
    answer = _send_with(client, whistleblowing, name, make())
    assert answer.status_code == 200
    stored = b"".join(evidence_read(Evidence.objects.get(case=Case.objects.get())))
    assert stored and [m for m in markers if m in stored] == []
    assert "we removed" in answer.content.decode()


def test_a_ten_megabyte_upload_never_appears_in_clear_on_disk(
    client, whistleblowing, settings, tmp_path, _evidence_dir
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    line = b"CLEARTEXT-MARKER confidential evidence line\n"
    content = line * (10_000_000 // len(line))
    before = set(Path(tempfile.gettempdir()).iterdir())
    answer = _send_with(client, whistleblowing, "big.txt", content)
    assert answer.status_code == 200
    assert b"".join(evidence_read(Evidence.objects.get())) == content
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    written += [p for p in _evidence_dir.rglob("*") if p.is_file()]
    new_temp = set(Path(tempfile.gettempdir()).iterdir()) - before
    written += [p for p in new_temp if p.is_file()]
    assert written, "the evidence file should be on disk, encrypted"
    assert not any(b"CLEARTEXT-MARKER" in p.read_bytes() for p in written)
