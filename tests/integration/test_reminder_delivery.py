"""The whole reminder path on real components: beat and a worker as processes on Redis, the
PostgreSQL test database, and an SMTP server on loopback (aiosmtpd). The scan's day is
injected (SPEAKUP_REMINDER_TODAY) ten days after a case was filed, so its acknowledgement
deadline has passed; the e-mail must arrive, once, saying nothing of the case."""

import datetime as dt
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from notifications.models import Delivery, Notification, Reminder
from tests.builders import make_case, make_case_type
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(predicate, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def _start(args, env, log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture
def processes(transactional_db, tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    port = _free_port()
    maildir = tmp_path / "maildir"
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"},
        "SPEAKUP_DEV": "true",
        "SPEAKUP_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": (
            f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}"
            f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": REDIS_URL,
        "SPEAKUP_SMTP_HOST": "127.0.0.1",
        "SPEAKUP_SMTP_PORT": str(port),
        "SPEAKUP_SMTP_SECURITY": "none",
        "SPEAKUP_REMINDER_TODAY": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "SPEAKUP_REMINDER_SCAN_SECONDS": "5",
    }
    logs = {name: tmp_path / f"{name}.log" for name in ("smtp", "worker", "beat")}
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    smtp_handler = ("-c", "aiosmtpd.handlers.Mailbox", str(maildir))
    started = [
        _start(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", *smtp_handler],
            env,
            logs["smtp"],
        ),
        _start([*celery, "worker", "--pool=solo", "--loglevel=INFO"], env, logs["worker"]),
        _start(
            [*celery, "beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
            env,
            logs["beat"],
        ),
    ]
    yield maildir, logs
    for process in started:
        os.killpg(process.pid, signal.SIGTERM)
    for process in started:
        process.wait(timeout=30)


def test_the_email_arrives_for_a_case_whose_acknowledgement_deadline_passed(processes):
    maildir, logs = processes
    team = Group.objects.create(name="Triage team")
    lead = User.objects.create_user("triage", email="triage@example.org")
    lead.groups.add(Group.objects.get_or_create(name="Triage lead")[0], team)
    case = make_case(
        case_type=make_case_type(triage_team=team), answers={"what_happened": "MARKER-int"}
    )

    def subjects():
        if not maildir.exists():
            return []
        return [m["Subject"] for m in mailbox.Maildir(maildir, create=False)]

    def arrived():
        return any("has passed" in s for s in subjects())

    ok = _wait_for(arrived)
    report = "\n\n".join(f"{name}:\n{path.read_text()}" for name, path in logs.items())
    assert ok, report
    messages = list(mailbox.Maildir(maildir, create=False))
    overdue = [m for m in messages if "has passed" in m["Subject"]]
    assert len(overdue) == 1, subjects()
    message = overdue[0]
    assert message["To"] == "triage@example.org"
    text = message.as_string()
    assert "MARKER-int" not in text and case.reference not in text and str(case.pk) not in text
    assert Reminder.objects.filter(case=case, level="overdue").count() == 1
    assert _wait_for(
        lambda: Notification.objects.filter(
            kind="deadline_overdue", delivery=Delivery.SENT
        ).exists(),
        timeout=15,
    )
    # Later scans (every five seconds here) send nothing again.
    time.sleep(12)
    # Ten days on, the lead also hears of the escalation (nobody holds the case): one each.
    assert sorted(subjects()) == [
        "A case is long overdue and needs attention",
        "A deadline on a case has passed",
    ]
