"""Evidence storage: random names in a fixed layout, times only to the day, a file and its row
commit together, and the sweep removes what a crash left and re-dates new files."""

from __future__ import annotations

import datetime as dt
import io
import re
import stat
import time

import pytest
import time_machine
from django.apps import apps
from django.db import DatabaseError, transaction
from django.db.models.signals import post_migrate
from django.utils import timezone

from cases.models import Evidence
from cases.selectors import evidence_read
from cases.services import evidence_attach
from cases.storage import (
    PARTIAL,
    SAFE_AGE,
    evidence_path,
    evidence_staging,
    files_discard,
    layout_prepare,
    storage_sweep,
)

pytestmark = pytest.mark.django_db

AFTERNOON = dt.datetime(2026, 3, 10, 14, 37, 21, tzinfo=dt.UTC)


def _attach(case, content: bytes = b"evidence", added_by=None):
    return evidence_attach(
        case=case,
        source=io.BytesIO(content),
        original_name="f.txt",
        content_type="text/plain",
        added_by=added_by,
    )


def _files(folder):
    return [p for p in folder.rglob("*") if p.is_file()]


def _clock(timestamp: float) -> dt.time:
    return (
        dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
        .astimezone(timezone.get_current_timezone())
        .time()
    )


def test_the_layout_is_256_fixed_folders(_evidence_dir):
    layout_prepare()
    names = sorted(p.name for p in _evidence_dir.iterdir())
    assert names == [f"{number:02x}" for number in range(256)]
    assert _files(_evidence_dir) == []


@pytest.mark.parametrize("count", [3, 450])  # one thread; several (files_discard)
def test_discarding_many_files_removes_each_and_its_partial_copy_and_names_the_missing(
    _evidence_dir, count
):
    layout_prepare()
    names = [f"{n % 256:02x}{n:030d}" for n in range(count)]
    gone = set(names[::7])  # already removed
    for name in names:
        if name not in gone:
            evidence_path(name).write_bytes(b"content")
    for name in names[::5]:  # a copy a crash left half-written
        evidence_path(name).with_name(name + PARTIAL).write_bytes(b"cont")
    missing = files_discard(names)
    assert sorted(missing) == sorted(gone)
    assert _files(_evidence_dir) == []


def test_migrating_prepares_the_layout_before_any_upload(_evidence_dir):
    config = apps.get_app_config("cases")
    post_migrate.send(
        sender=config, app_config=config, verbosity=0, interactive=False, using="default"
    )
    assert len(list(_evidence_dir.iterdir())) == 256


def test_a_reporters_file_and_every_folder_show_only_the_day(case, _evidence_dir):
    with time_machine.travel(AFTERNOON, tick=False):
        evidence = _attach(case)
    path = evidence_path(evidence.stored_name)
    for place in (path, path.parent, _evidence_dir):
        status = place.stat()
        assert _clock(status.st_mtime) == dt.time(0, 0), place
        assert _clock(status.st_atime) == dt.time(0, 0), place
    assert re.fullmatch(r"[0-9a-f]{32}", evidence.stored_name)
    assert path.parent.name == evidence.stored_name[:2]


def test_a_staff_file_keeps_its_time_but_its_folder_does_not(case, staff_user):
    with time_machine.travel(AFTERNOON, tick=False):
        evidence = _attach(case, added_by=staff_user)
    path = evidence_path(evidence.stored_name)
    assert _clock(path.stat().st_mtime) != dt.time(0, 0)
    assert _clock(path.parent.stat().st_mtime) == dt.time(0, 0)


def test_two_files_never_share_a_name(case):
    assert _attach(case).stored_name != _attach(case).stored_name


def test_a_rolled_back_transaction_leaves_no_file(case, _evidence_dir):
    with pytest.raises(RuntimeError), evidence_staging(), transaction.atomic():
        _attach(case)
        _attach(case)
        raise RuntimeError("the report could not be saved")
    assert not Evidence.objects.exists()
    assert _files(_evidence_dir) == []


def test_a_committed_transaction_keeps_its_files(case, _evidence_dir):
    with evidence_staging(), transaction.atomic():
        evidence = _attach(case, b"kept")
    assert b"".join(evidence_read(evidence)) == b"kept"
    assert len(_files(_evidence_dir)) == 1


def test_nested_staging_settles_only_when_the_outermost_ends(case, _evidence_dir):
    with pytest.raises(RuntimeError), evidence_staging(), transaction.atomic():
        with evidence_staging():
            _attach(case)
        assert len(_files(_evidence_dir)) == 1  # the inner block ended inside the transaction
        raise RuntimeError
    assert _files(_evidence_dir) == []


def test_if_the_database_cannot_be_asked_the_sweep_decides_later(case, _evidence_dir, monkeypatch):
    real_filter = Evidence.objects.filter

    def unreachable(*args, **kwargs):
        raise DatabaseError("connection lost")

    with pytest.raises(RuntimeError), evidence_staging(), transaction.atomic():
        _attach(case)
        monkeypatch.setattr(Evidence.objects, "filter", unreachable)
        raise RuntimeError
    monkeypatch.setattr(Evidence.objects, "filter", real_filter)
    assert len(_files(_evidence_dir)) == 1
    assert storage_sweep(now=time.time() + SAFE_AGE.total_seconds() + 60).removed == 1
    assert _files(_evidence_dir) == []


class _Killed(BaseException):
    """The worker is killed: no except or finally block of ours gets to clean up."""


def _kill_between_write_and_commit(monkeypatch):
    def killed(**kwargs):
        raise _Killed

    monkeypatch.setattr("cases.services.event_record", killed)
    monkeypatch.setattr("cases.services.file_discard", lambda name: None)
    monkeypatch.setattr("cases.storage.file_discard", lambda name: None)


def test_a_crash_between_file_and_row_leaves_a_file_the_sweep_removes_once_old(
    case, _evidence_dir, monkeypatch
):
    kept = _attach(case, b"committed")
    _kill_between_write_and_commit(monkeypatch)
    with pytest.raises(_Killed):
        _attach(case, b"orphan")
    monkeypatch.undo()
    assert len(_files(_evidence_dir)) == 2 and Evidence.objects.count() == 1

    assert storage_sweep().removed == 0  # it may still be waiting for its row
    later = storage_sweep(now=time.time() + SAFE_AGE.total_seconds() + 60)
    assert later.removed == 1
    assert _files(_evidence_dir) == [evidence_path(kept.stored_name)]
    assert b"".join(evidence_read(kept)) == b"committed"


def test_the_sweep_gives_a_new_file_a_fresh_birth_once(case, _evidence_dir):
    with time_machine.travel(AFTERNOON, tick=False):
        evidence = _attach(case, b"content")
    path = evidence_path(evidence.stored_name)
    before = path.stat()
    started = time.time()

    result = storage_sweep()

    after = path.stat()
    assert result.reborn == 1
    assert after.st_ino != before.st_ino  # a new file: its birth time is the sweep's
    assert after.st_ctime >= started - 1
    assert after.st_mtime == before.st_mtime  # still midnight of the day it came
    assert stat.S_IMODE(after.st_mode) == 0o400
    assert b"".join(evidence_read(evidence)) == b"content"
    assert storage_sweep() == type(result)(removed=0, reborn=0)  # nothing left to do
    assert [p.name for p in _files(_evidence_dir)] == [evidence.stored_name]


def test_the_sweep_never_removes_a_file_that_has_its_row(case, _evidence_dir):
    evidence = _attach(case)
    assert storage_sweep(now=time.time() + 10 * SAFE_AGE.total_seconds()).removed == 0
    assert evidence_path(evidence.stored_name).exists()


def test_the_sweep_removes_old_partial_copies(case, _evidence_dir):
    layout_prepare()
    leftovers = [_evidence_dir / "ab" / "ab12.partial", _evidence_dir / "cd" / "cd34.rebirth"]
    for path in leftovers:
        path.write_bytes(b"half")
    assert storage_sweep().removed == 0
    assert storage_sweep(now=time.time() + SAFE_AGE.total_seconds() + 60).removed == 2
    assert not any(path.exists() for path in leftovers)


def test_the_periodic_task_runs_the_sweep(case, _evidence_dir):
    from cases.tasks import sweep_evidence_storage

    layout_prepare()
    orphan = _evidence_dir / "0f" / ("0f" + "0" * 30)
    orphan.write_bytes(b"left by a crash")
    with time_machine.travel(time.time() + SAFE_AGE.total_seconds() + 60):
        sweep_evidence_storage()
    assert not orphan.exists()


def test_the_beat_schedule_sweeps_once_a_day_at_a_fixed_hour():
    """Once a day at one fixed time: every file copied by a sweep is then dated to the sweep,
    which tells only the day it came. An hourly sweep would date each upload to its hour."""
    from celery.schedules import crontab

    from config.celery import app

    entry = app.conf.beat_schedule["sweep-evidence-storage"]
    assert entry["task"] == "cases.tasks.sweep_evidence_storage"
    assert entry["schedule"] == crontab(hour=3, minute=0)
    app.loader.import_default_modules()  # the worker's autodiscovery, which a test lacks
    assert entry["task"] in app.tasks


def test_a_file_that_fails_to_write_leaves_nothing(case, _evidence_dir, settings):
    settings.SPEAKUP_EVIDENCE_MAX_BYTES = 10
    with pytest.raises(Exception, match="larger than"):
        _attach(case, b"x" * 100)
    assert _files(_evidence_dir) == []
