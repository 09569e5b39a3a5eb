"""The Celery settings that keep tasks from being lost or run twice, and the broker choice."""

import pytest
from django.conf import settings

from tests.config.test_settings import PRODUCTION, settings_under


def _our_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_runs_under_a_time_limit_no_longer_than_the_longest_allowed(db):
    # ``db``: importing the tasks runs Celery's Django fixup, whose model checks ask the
    # database what it supports (SQLite's JSON support), as a worker does when it starts.
    longest = settings.SPEAKUP_TASK_TIME_LIMIT_LONGEST
    limits = {
        name: task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        for name, task in _our_tasks().items()
    }
    assert {"ops.tasks.record_heartbeat", "cases.tasks.verify_audit_chains"} <= set(limits)
    assert all(0 < limit <= longest for limit in limits.values()), limits
    assert max(limits.values()) == longest  # the bound is the real longest, not a loose one


def test_redis_redelivers_a_lost_task_soon_after_the_longest_task_could_have_finished(tmp_path):
    """The visibility timeout outlasts every task's hard limit (else a task still running
    would be handed to a second worker) by no more than ten minutes (else a task lost with
    its worker waits that much longer)."""
    production = settings_under(PRODUCTION, tmp_path)
    timeout = production["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    longest = production["SPEAKUP_TASK_TIME_LIMIT_LONGEST"]
    assert longest < timeout <= longest + 600
    assert production["CELERY_TASK_TIME_LIMIT"] <= longest


def test_tasks_are_acknowledged_late_and_given_back_when_their_worker_dies(tmp_path):
    production = settings_under(PRODUCTION, tmp_path)
    expected = {
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_TASK_IGNORE_RESULT": True,
    }
    assert {name: production[name] for name in expected} == expected
    from config.celery import app

    assert (app.conf.task_acks_late, app.conf.task_reject_on_worker_lost) == (True, True)


@pytest.mark.parametrize(
    ("broker", "expected"),
    [
        (None, "sqla+sqlite:///{data}/broker.sqlite3"),
        ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
    ],
    ids=["embedded", "redis"],
)
def test_development_embeds_a_transactional_broker_unless_one_is_named(tmp_path, broker, expected):
    env = {"SPEAKUP_DEV": "true", **({"CELERY_BROKER_URL": broker} if broker else {})}
    values = settings_under(env, tmp_path)
    assert values["CELERY_BROKER_URL"] == expected.format(data=tmp_path.resolve())
    options = values["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert ("visibility_timeout" in options) is (broker is not None)


def test_the_heartbeat_is_sent_as_often_as_it_claims_its_slots():
    from config.celery import app

    entry = app.conf.beat_schedule["record-heartbeat"]
    assert entry["schedule"] == entry["kwargs"]["every"] == 60


def test_a_scheduler_sends_the_heartbeat_as_it_starts():
    from config.celery import app, beat_at_once

    sent = []

    class Beat:
        class app:  # noqa: N801 (stands in for the Celery app the signal's sender carries)
            @staticmethod
            def send_task(name, **options):
                sent.append((name, options))

    beat_at_once(sender=Beat())
    entry = app.conf.beat_schedule["record-heartbeat"]
    assert sent == [
        ("ops.tasks.record_heartbeat", {"kwargs": {"every": 60}, "expires": 55}),
    ]
    assert entry["kwargs"] == {"every": 60}


@pytest.mark.parametrize(
    ("broker", "expected"),
    [("sqla+sqlite:////tmp/broker.sqlite3", 0.2), ("redis://127.0.0.1:6379/0", 1.0)],
)
def test_a_worker_polls_the_embedded_broker_five_times_a_second(monkeypatch, broker, expected):
    """kombu's default once a second held a worker on the embedded broker to about two
    tasks a second; Redis waits for messages and keeps kombu's class untouched."""
    from kombu.transport import sqlalchemy

    from config.celery import poll_the_embedded_broker_sooner

    monkeypatch.setattr(sqlalchemy.Transport, "polling_interval", 1.0)
    monkeypatch.setattr(settings, "CELERY_BROKER_URL", broker)
    poll_the_embedded_broker_sooner()
    assert sqlalchemy.Transport.polling_interval == expected
