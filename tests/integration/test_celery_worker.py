"""A real Celery worker on Redis runs tasks against the real PostgreSQL test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection

from ops.models import Heartbeat
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def celery_env(broker_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Celery process on ``broker_url`` and the test database. It
    connects as the suite does: the application's role, never the owner."""
    db = connection.settings_dict
    return {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"},
        "SPEAKUP_DEV": "true",
        "DATABASE_URL": (
            f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}"
            f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": broker_url,
        **extra,
    }


def start_celery(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``celery -A config <args>`` in a process group of its own, output to ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_celery(process: subprocess.Popen[bytes]) -> None:
    """Stop it as an operator would, and kill it if it has not stopped in 30 seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture
def worker(transactional_db, tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    log = tmp_path / "worker.log"
    process = start_celery(celery_env(REDIS_URL), log, "worker", "--pool=solo")
    yield Celery(broker=REDIS_URL), log
    stop_celery(process)


def _wait_for(predicate, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_a_tick_delivered_twice_is_recorded_once(worker):
    sender, log = worker
    for _ in range(2):  # at-least-once delivery: the same message may arrive twice
        # (an hour's slot, so that the two cannot fall either side of a slot's end)
        sender.send_task(
            "ops.tasks.record_heartbeat", kwargs={"name": "integration", "every": 3600}
        )
    assert _wait_for(lambda: "claimed already" in log.read_text()), log.read_text()
    assert list(Heartbeat.objects.filter(name="integration").values_list("runs")) == [(1,)]


def test_a_broken_task_fails_alone_and_the_worker_carries_on(worker):
    sender, log = worker
    sender.send_task("ops.tasks.record_heartbeat", kwargs={"name": None})
    sender.send_task("ops.tasks.record_heartbeat", kwargs={"name": "after-broken"})
    assert _wait_for(lambda: Heartbeat.objects.filter(name="after-broken").exists()), (
        log.read_text()
    )
    assert not Heartbeat.objects.filter(name=None).exists()
    assert "IntegrityError" in log.read_text() or "raised unexpected" in log.read_text()
