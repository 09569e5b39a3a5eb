"""The embedded broker under load, malformed messages, and two schedulers at once: real
Celery processes against the real PostgreSQL test database."""

import sqlite3
import subprocess
import sys
import time

import pytest
from celery import Celery

from ops.models import Heartbeat, TickClaim
from tests.conftest import REDIS_URL
from tests.integration.test_celery_worker import (
    ROOT,
    _wait_for,
    celery_env,
    start_celery,
    stop_celery,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PRODUCERS, THREADS, EACH = 3, 4, 25  # 300 tasks from 12 threads in 3 processes

# One producer process: THREADS threads, each sending EACH heartbeat tasks of its own names.
PRODUCER = """
import sys, threading
from celery import Celery
url, process, threads, each = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
app = Celery(broker=url)
def send(thread):
    for n in range(each):
        app.send_task(
            "ops.tasks.record_heartbeat", kwargs={"name": f"load-{process}-{thread}-{n}"}
        )
workers = [threading.Thread(target=send, args=(t,)) for t in range(threads)]
[w.start() for w in workers]
[w.join() for w in workers]
"""


def _send_malformed(url: str) -> None:
    """A body that is not JSON, a task nobody knows, and a task given arguments it does not
    take: each is rejected or fails once, and none is tried again."""
    from kombu import Connection, Producer

    with Connection(url) as connection:
        producer = Producer(connection.default_channel)  # the default exchange
        producer.publish(
            b'{"half a message',
            routing_key="celery",
            content_type="application/json",
            content_encoding="utf-8",
            headers={"task": "ops.tasks.record_heartbeat", "id": "broken-1", "lang": "py"},
        )
    sender = Celery(broker=url)
    sender.send_task("no.such.task", kwargs={})
    sender.send_task("ops.tasks.record_heartbeat", kwargs={"colour": "blue"})


def test_the_embedded_broker_carries_concurrent_load_and_survives_bad_messages(
    transactional_db, tmp_path
):
    broker_file = tmp_path / "broker.sqlite3"
    url = f"sqla+sqlite:///{broker_file}"
    log = tmp_path / "worker.log"
    worker = start_celery(celery_env(url), log, "worker", "--concurrency=2")
    try:
        assert _wait_for(lambda: "ready." in log.read_text(), timeout=60), log.read_text()
        _send_malformed(url)
        producers = [
            subprocess.Popen(
                [sys.executable, "-c", PRODUCER, url, str(p), str(THREADS), str(EACH)],
                cwd=ROOT,
            )
            for p in range(PRODUCERS)
        ]
        assert [p.wait(timeout=120) for p in producers] == [0] * PRODUCERS
        expected = PRODUCERS * THREADS * EACH
        assert _wait_for(
            lambda: Heartbeat.objects.filter(name__startswith="load-").count() == expected,
            timeout=180,
        ), log.read_text()[-3000:]
        assert worker.poll() is None, log.read_text()[-3000:]  # the worker is still alive
        text = log.read_text()
        assert "Unrecoverable error" not in text
        assert "Can't decode message body" in text  # the half message, discarded
        assert "Received unregistered task of type 'no.such.task'" in text
        assert "TypeError" in text  # the task given wrong arguments failed, once
        time.sleep(2)  # nothing is tried again: nothing waits in the queue
        with sqlite3.connect(broker_file) as db:
            waiting = db.execute("SELECT count(*) FROM kombu_message WHERE visible = 1")
            assert waiting.fetchone() == (0,)
        assert set(Heartbeat.objects.values_list("runs", flat=True)) == {1}
    finally:
        stop_celery(worker)


def _state(tmp_path):
    """(ticks both schedulers have sent, heartbeats recorded) so far."""
    sent = sum(
        (tmp_path / f"beat-{n}.log").read_text().count("Sending due task record-heartbeat")
        for n in (1, 2)
    )
    beat = Heartbeat.objects.filter(name="beat").first()
    return sent, beat.runs if beat else 0


@pytest.mark.redis
def test_two_schedulers_at_once_record_one_heartbeat_per_slot(transactional_db, tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    every, window = 2, 16.0
    env = celery_env(REDIS_URL, SPEAKUP_HEARTBEAT_SECONDS=str(every))
    worker_log = tmp_path / "worker.log"
    worker = start_celery(env, worker_log, "worker", "--concurrency=2")
    beats = []
    try:
        assert _wait_for(lambda: "ready." in worker_log.read_text(), timeout=60)
        beats = [
            start_celery(env, tmp_path / f"beat-{n}.log", "beat", "-s", str(tmp_path / f"s{n}"))
            for n in (1, 2)
        ]
        both_sending = all(
            _wait_for(lambda n=n: "Sending due" in (tmp_path / f"beat-{n}.log").read_text())
            for n in (1, 2)
        )
        assert both_sending, worker_log.read_text()[-2000:]
        # Watch a window of time while both send every slot's tick.
        started, (sent_before, runs_before) = time.monotonic(), _state(tmp_path)
        time.sleep(window)
        elapsed, (sent_after, runs_after) = time.monotonic() - started, _state(tmp_path)
    finally:
        for process in [*beats, worker]:
            stop_celery(process)
    sent, runs = sent_after - sent_before, runs_after - runs_before
    slots = int(elapsed // every) + 2  # every slot the window touched, and one in flight
    assert sent > slots, f"both schedulers sent each slot's tick ({sent} sent)"
    assert 1 <= runs <= slots, (sent, runs)
    assert TickClaim.objects.filter(name="heartbeat:beat").count() == 1


def test_a_scheduler_just_started_records_the_heartbeat_without_waiting_a_minute(
    transactional_db, tmp_path
):
    """At the real interval (a minute), the first heartbeat comes with the start, so the
    health check is not 'missing heartbeat' for the first minute of every start."""
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    env = celery_env(url, SPEAKUP_HEARTBEAT_SECONDS="60")
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = start_celery(env, worker_log, "worker", "--concurrency=1")
    beat = None
    try:
        assert _wait_for(lambda: "ready." in worker_log.read_text(), timeout=60)
        beat = start_celery(env, beat_log, "beat", "-s", str(tmp_path / "schedule"))
        started = time.monotonic()
        assert _wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), timeout=40), (
            beat_log.read_text()[-2000:]
        )
        assert time.monotonic() - started < 45  # well before the first interval's tick
        assert "Sending due task record-heartbeat" not in beat_log.read_text()
    finally:
        for process in [p for p in (beat, worker) if p is not None]:
            stop_celery(process)
