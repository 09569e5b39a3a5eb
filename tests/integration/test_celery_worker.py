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


@pytest.fixture
def worker(transactional_db, tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    db = connection.settings_dict
    # The worker connects as the suite does: the application's role, never the owner.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"},
        "SPEAKUP_DEV": "true",
        "DATABASE_URL": (
            f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}"
            f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": REDIS_URL,
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield Celery(broker=REDIS_URL), log
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _wait_for(predicate, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_a_task_delivered_twice_runs_twice_harmlessly(worker):
    sender, log = worker
    for _ in range(2):  # at-least-once delivery: the same message may arrive twice
        sender.send_task("ops.tasks.record_heartbeat", kwargs={"name": "integration"})
    assert _wait_for(lambda: Heartbeat.objects.filter(name="integration", runs=2).exists()), (
        log.read_text()
    )
    assert Heartbeat.objects.filter(name="integration").count() == 1


def test_a_broken_task_fails_alone_and_the_worker_carries_on(worker):
    sender, log = worker
    sender.send_task("ops.tasks.record_heartbeat", kwargs={"name": None})
    sender.send_task("ops.tasks.record_heartbeat", kwargs={"name": "after-broken"})
    assert _wait_for(lambda: Heartbeat.objects.filter(name="after-broken").exists()), (
        log.read_text()
    )
    assert not Heartbeat.objects.filter(name=None).exists()
    assert "IntegrityError" in log.read_text() or "raised unexpected" in log.read_text()
