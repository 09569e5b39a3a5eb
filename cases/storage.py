"""Evidence files on disk: the only module that writes, renames or deletes them.

What it keeps, so that nothing on disk places a reporter's action more precisely than the day
(docs/decisions/0014-evidence-cleaning.md):

- Names are random (the row's ``stored_name``) inside a fixed layout of 256 folders made when
  the database is migrated, never when someone acts, so no folder is born with an upload and
  no name carries a date.
- Modification and access times are midnight: a reporter's file carries the day it arrived,
  every folder the day it last changed.
- The two times no program may set, the inode change time and the birth time, are overwritten
  by the sweep: each committed file written since the last sweep is copied to a fresh file
  (a new birth) and every folder is touched again (a new change time), so after a sweep they
  show the sweep, not the upload. Re-born files are read-only; that is how the sweep tells
  them from new ones.

And so that a file and its row commit together or the file goes:

- a file is written to a private ``.partial`` file, then renamed into place;
- ``evidence_staging()`` wraps a transaction that writes files: when it ends, every file
  written inside it whose row did not commit is removed (Django has no rollback hook, so the
  row itself is the proof);
- ``storage_sweep()`` (a periodic task) removes what a killed process left behind: files with
  no row, and partial copies, once older than ``SAFE_AGE``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

logger = logging.getLogger("speakup.storage")

# Longer than any request or task that writes a file can last (gunicorn and Celery stop
# them well before), so a file younger than this may still be waiting for its row.
SAFE_AGE: Final = dt.timedelta(hours=1)
PARTIAL: Final = ".partial"
REBIRTH: Final = ".rebirth"
_FOLDERS: Final = tuple(f"{number:02x}" for number in range(256))
_NEW_FILE_MODE: Final = 0o600
_SETTLED_FILE_MODE: Final = 0o400
_BATCH: Final = 500
# files_discard: up to this many threads, each given at least this many files.
_DISCARD_THREADS: Final = 8
_DISCARD_PER_THREAD: Final = 100

# The files written inside the current evidence_staging() block, if one is open.
_staged: ContextVar[list[str] | None] = ContextVar("speakup_staged_evidence", default=None)


def _root() -> Path:
    return Path(settings.SPEAKUP_EVIDENCE_DIR)


def evidence_path(stored_name: str) -> Path:
    """Where an evidence file's ciphertext lives: a random name, fanned out by its prefix."""
    return _root() / stored_name[:2] / stored_name


def _midnight(moment: dt.datetime | None = None) -> float:
    """Midnight (local time) of ``moment``'s day, as a timestamp."""
    day = timezone.localdate(moment)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)).timestamp()


def _date_folder(folder: Path) -> None:
    """A folder's times say only the day it last changed."""
    midnight = _midnight()
    os.utime(folder, (midnight, midnight))


def layout_prepare() -> None:
    """Creates the storage root and its 256 folders if any is missing (idempotent).

    Run at every ``migrate`` (cases/apps.py), so on a new installation the folders are born
    at deployment rather than at the first upload.
    """
    root = _root()
    missing = [name for name in _FOLDERS if not (root / name).is_dir()]
    if not missing:
        return
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in missing:
        (root / name).mkdir(mode=0o700, exist_ok=True)
        _date_folder(root / name)
    _date_folder(root)


def file_write(
    stored_name: str, write: Callable[[IO[bytes]], int], *, day: dt.datetime | None
) -> int:
    """Writes a file through ``write`` (which returns the size it reports) and puts it in
    place; ``day`` dates it to midnight of that day (reporter files), else it keeps the
    time it was written (staff files). Nothing is left behind if ``write`` raises.

    Inside ``evidence_staging()`` the file is removed again if its row never commits.
    """
    final = evidence_path(stored_name)
    partial = final.with_name(final.name + PARTIAL)
    if not final.parent.is_dir():
        layout_prepare()
    staged = _staged.get()
    if staged is not None:
        staged.append(stored_name)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE)
        with os.fdopen(fd, "wb") as sink:
            size = write(sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, final)
        if day is not None:
            # The file system would keep the upload's second; keep the day, like everything else.
            midnight = _midnight(day)
            os.utime(final, (midnight, midnight))
    except BaseException:
        file_discard(stored_name)
        raise
    finally:
        _date_folder(final.parent)
    return size


def file_discard(stored_name: str) -> None:
    """Removes a file and its partial copy, if there; leaves its folder dated to the day."""
    files_discard([stored_name])


def files_discard(stored_names: list[str]) -> list[str]:
    """``file_discard`` for many files, dating each folder once. Returns the names whose file
    was already gone (a partial copy is removed either way). Paths as plain strings: the
    purge discards a thousand files a batch, and ``Path`` objects cost more than the calls.

    Many files are removed by several threads at once: removing a file is the file system's
    work (about 0.17 ms each on this project's machines, its journal included), which the
    kernel does in parallel, while Python waits without the interpreter's lock; eight
    threads take about half the time of one for a purge batch's files."""
    root = os.fspath(_root())
    midnight = _midnight()  # once: local time's rules cost more than the call that dates
    folders = {os.path.join(root, name[:2]) for name in stored_names}
    if len(stored_names) < _DISCARD_PER_THREAD * 2:
        missing = _unlink_all(root, stored_names)
    else:
        threads = min(_DISCARD_THREADS, len(stored_names) // _DISCARD_PER_THREAD)
        with ThreadPoolExecutor(threads, thread_name_prefix="files-discard") as pool:
            shares = pool.map(
                _unlink_all, [root] * threads, [stored_names[n::threads] for n in range(threads)]
            )
            missing = [name for share in shares for name in share]
    for folder in folders:
        with suppress(FileNotFoundError):
            os.utime(folder, (midnight, midnight))
    return missing


def _unlink_all(root: str, stored_names: list[str]) -> list[str]:
    """Remove these files and their partial copies; the names whose file was gone."""
    missing = []
    for name in stored_names:
        final = os.path.join(root, name[:2], name)
        try:
            os.unlink(final)
        except FileNotFoundError:
            missing.append(name)
        with suppress(FileNotFoundError):
            os.unlink(final + PARTIAL)
    return missing


@contextmanager
def evidence_staging() -> Iterator[None]:
    """Wrap a transaction that attaches evidence: files whose rows did not commit go.

    Use it *outside* the transaction (``with evidence_staging(), transaction.atomic():``),
    so it settles after the commit or rollback. Nested uses share the outermost block. If
    the database cannot be asked, the files stay for ``storage_sweep()`` to judge.
    """
    if _staged.get() is not None:
        yield
        return
    token = _staged.set([])
    try:
        yield
    finally:
        names = _staged.get() or []
        _staged.reset(token)
        if names:
            _settle(names)


def _settle(names: list[str]) -> None:
    from cases.models import Evidence  # storage sits below the models' users

    try:
        kept = set(
            Evidence.objects.filter(stored_name__in=names).values_list("stored_name", flat=True)
        )
    except DatabaseError:
        logger.warning("evidence files could not be checked against the database; the sweep will")
        return
    for name in names:
        if name not in kept:
            file_discard(name)


@dataclass(frozen=True)
class SweepResult:
    removed: int  # files with no row, and partial copies, past the safe age
    reborn: int  # committed files copied to fresh files


def storage_sweep(*, now: float | None = None) -> SweepResult:
    """Removes orphans and re-births new files (see the module's docstring). Idempotent."""
    from cases.models import Evidence

    now = time.time() if now is None else now
    oldest = now - SAFE_AGE.total_seconds()
    layout_prepare()
    removed = reborn = 0
    for name in _FOLDERS:
        folder = _root() / name
        entries = {entry.name: entry.stat() for entry in os.scandir(folder) if entry.is_file()}
        stored = [n for n in entries if not n.endswith((PARTIAL, REBIRTH))]
        committed: set[str] = set()
        for start in range(0, len(stored), _BATCH):
            committed |= set(
                Evidence.objects.filter(stored_name__in=stored[start : start + _BATCH]).values_list(
                    "stored_name", flat=True
                )
            )
        for entry_name, status in entries.items():
            path = folder / entry_name
            if entry_name not in committed:
                if status.st_ctime < oldest:  # no row, and no transaction lasts this long
                    path.unlink(missing_ok=True)
                    removed += 1
            elif status.st_mode & stat.S_IWUSR:
                _rebirth(path, status)
                reborn += 1
        _date_folder(folder)  # also sets its change time to now
    _date_folder(_root())
    return SweepResult(removed=removed, reborn=reborn)


def _rebirth(path: Path, status: os.stat_result) -> None:
    """Replaces a file by a read-only copy of itself with the same modification time, so its
    birth and change times become now."""
    copy = path.with_name(path.name + REBIRTH)
    fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _SETTLED_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as sink, path.open("rb") as source:
            while chunk := source.read(1 << 20):
                sink.write(chunk)
            sink.flush()
            os.fsync(sink.fileno())
        os.utime(copy, (status.st_atime, status.st_mtime))
        os.replace(copy, path)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
