"""What a reporter's upload leaves on disk, through HTTP on both forms: nothing that tells the
time of day, and nothing at all when the submission fails or the worker dies mid-way."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from cases.models import Evidence
from cases.storage import SAFE_AGE, evidence_path, storage_sweep
from tests.intake import corpus
from tests.intake.conftest import FORMS, stored_files, upload_through

AFTERNOON = dt.datetime(2026, 3, 10, 14, 37, 21, tzinfo=dt.UTC)


def _is_midnight(timestamp: float) -> bool:
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return moment.astimezone(timezone.get_current_timezone()).time() == dt.time(0, 0)


@pytest.mark.parametrize("form", FORMS)
def test_uploads_leave_only_the_day_and_random_names_on_disk(
    client, whistleblowing, form, _evidence_dir
):
    with time_machine.travel(AFTERNOON, tick=False):
        answer = upload_through(
            client, whistleblowing, form, ("a.txt", b"notes\n"), ("b.jpg", corpus.jpeg())
        )
    assert answer.status_code == 200
    # Found from the rows, not by listing folders: listing is a read, which sets access times.
    files = [evidence_path(e.stored_name) for e in Evidence.objects.all()]
    assert len(files) == 2
    for path in [_evidence_dir, *(f.parent for f in files), *files]:
        status = path.stat()
        assert _is_midnight(status.st_mtime) and _is_midnight(status.st_atime), path
    assert stored_files(_evidence_dir) == sorted(files)
    for path in files:
        assert re.fullmatch(r"[0-9a-f]{32}", path.name)
        assert path.parent.name == path.name[:2]
    assert sorted(p.name for p in _evidence_dir.iterdir()) == [f"{n:02x}" for n in range(256)]


def _fail_on_the_second_file(monkeypatch, error: BaseException) -> None:
    from cases.audit import event_record as real

    calls = []

    def flaky(**kwargs):
        if kwargs["code"] == "evidence.attached":
            calls.append(kwargs)
            if len(calls) == 2:
                raise error
        return real(**kwargs)

    monkeypatch.setattr("cases.services.event_record", flaky)


@pytest.mark.parametrize("form", FORMS)
def test_a_database_failure_mid_upload_leaves_no_file_without_its_row(
    client, whistleblowing, form, monkeypatch, _evidence_dir
):
    """On follow-up the files are kept all together or not at all; on a new report a file
    that cannot be stored is left out and named, and the report is kept (decision 13).
    Either way every file on disk has its row, and none has a row without its file."""
    _fail_on_the_second_file(monkeypatch, OperationalError("the database went away"))
    client.raise_request_exception = False
    answer = upload_through(
        client, whistleblowing, form, ("a.txt", b"first\n"), ("b.txt", b"second\n")
    )
    stored = sorted(name for name in Evidence.objects.values_list("stored_name", flat=True))
    assert sorted(path.name for path in stored_files(_evidence_dir)) == stored
    if form == "follow-up":
        assert answer.status_code >= 400
        assert stored == []
    else:
        assert answer.status_code == 200
        assert len(stored) == 1  # the first file; the second is named as not kept
        assert "b.txt" in answer.content.decode()


class _Killed(BaseException):
    """The worker is killed: no except or finally block of ours gets to run."""


@pytest.mark.parametrize("form", FORMS)
def test_a_worker_killed_mid_upload_leaves_a_file_only_until_the_sweep(
    client, whistleblowing, form, monkeypatch, _evidence_dir
):
    _fail_on_the_second_file(monkeypatch, _Killed())
    monkeypatch.setattr("cases.services.file_discard", lambda name: None)
    monkeypatch.setattr("cases.storage.file_discard", lambda name: None)
    with pytest.raises(_Killed):
        upload_through(client, whistleblowing, form, ("a.txt", b"first\n"), ("b.txt", b"2\n"))
    monkeypatch.undo()
    left = stored_files(_evidence_dir)
    assert left  # what a killed worker leaves: files whose rows never committed
    assert storage_sweep().removed == 0  # too young to judge: a transaction may be open
    assert storage_sweep(now=time.time() + SAFE_AGE.total_seconds() + 60).removed == len(left)
    assert stored_files(_evidence_dir) == []
