import pytest

from ops.models import Heartbeat
from ops.services import heartbeat_record
from ops.tasks import record_heartbeat


@pytest.mark.django_db
def test_recording_twice_keeps_one_row_and_counts_both_runs():
    first = heartbeat_record(name="beat")
    second = heartbeat_record(name="beat")
    assert Heartbeat.objects.count() == 1
    assert (first.runs, second.runs) == (1, 2)
    assert second.last_run_at >= first.last_run_at


@pytest.mark.django_db
def test_the_task_calls_the_service():
    record_heartbeat.apply()
    assert Heartbeat.objects.get(name="beat").runs == 1


@pytest.mark.django_db
def test_health_reports_the_last_heartbeat(client):
    health = client.get("/healthz").json()
    assert (health["database"], health["cache"], health["last_heartbeat"]) == ("ok", "ok", None)
    heartbeat_record(name="beat")
    assert client.get("/healthz").json()["last_heartbeat"] is not None
    assert client.post("/healthz").status_code == 405


def test_the_beat_schedule_expires_every_entry():
    from celery.schedules import crontab

    from config.celery import app

    assert app.conf.beat_schedule
    for entry in app.conf.beat_schedule.values():
        schedule = entry["schedule"]
        if isinstance(schedule, crontab):  # once a day at a fixed time
            fires = (schedule.hour, schedule.minute)  # type: ignore[attr-defined]
            assert [len(values) for values in fires] == [1, 1]
            every = 24 * 3600
        else:
            every = schedule
        assert entry["options"]["expires"] < every
