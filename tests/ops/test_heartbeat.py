import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from ops.models import Heartbeat, TickClaim
from ops.services import heartbeat_record, heartbeat_tick, tick_claim, tick_slot
from ops.tasks import record_heartbeat

T0 = dt.datetime(2026, 11, 30, 9, 0, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_recording_twice_keeps_one_row_and_counts_both_runs():
    first = heartbeat_record(name="beat")
    second = heartbeat_record(name="beat")
    assert Heartbeat.objects.count() == 1
    assert (first.runs, second.runs) == (1, 2)
    assert second.last_run_at >= first.last_run_at


def test_a_slot_starts_on_a_whole_multiple_of_its_length():
    at = dt.datetime(2026, 11, 30, 9, 7, 59, 999000, tzinfo=dt.UTC)
    assert tick_slot(at, 60) == dt.datetime(2026, 11, 30, 9, 7, tzinfo=dt.UTC)
    assert tick_slot(at, 3600) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_each_slot_is_claimed_once():
    # (seconds after T0, claimed?)
    calls = [(0, True), (0, False), (59, False), (60, True), (61, False), (300, True)]
    answers = [
        (at, tick_claim(name="job", every=60, now=T0 + dt.timedelta(seconds=at))) for at, _ in calls
    ]
    assert answers == calls
    assert list(TickClaim.objects.values_list("name", "slot")) == [
        ("job", T0 + dt.timedelta(minutes=5))
    ]
    # A clock that went back does not claim an older slot again.
    assert tick_claim(name="job", every=60, now=T0 + dt.timedelta(minutes=1)) is False
    # Another job's slots are its own.
    assert tick_claim(name="other", every=60, now=T0) is True


@pytest.mark.django_db
def test_the_heartbeat_sent_twice_in_a_minute_is_recorded_once():
    with time_machine.travel(T0, tick=False):
        record_heartbeat.apply()
        record_heartbeat.apply()  # a second scheduler's tick in the same minute
        assert heartbeat_tick(name="beat", every=60) is None
    with time_machine.travel(T0 + dt.timedelta(seconds=60), tick=False):
        record_heartbeat.apply()
    beat = Heartbeat.objects.get(name="beat")
    assert (beat.runs, beat.last_run_at) == (2, T0 + dt.timedelta(seconds=60))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_the_same_slot_at_once_record_one_heartbeat():
    barrier = threading.Barrier(4)
    results = []

    def tick():
        try:
            barrier.wait()
            results.append(heartbeat_tick(name="race", every=3600) is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert Heartbeat.objects.get(name="race").runs == 1


def test_the_beat_schedule_expires_every_entry():
    from celery.schedules import crontab

    from config.celery import app

    assert app.conf.beat_schedule
    for entry in app.conf.beat_schedule.values():
        schedule = entry["schedule"]
        if isinstance(schedule, crontab):  # at fixed hours of the day, on the hour's minute
            hours = sorted(schedule.hour)  # type: ignore[attr-defined]
            assert len(schedule.minute) == 1  # type: ignore[attr-defined]
            # The shortest time between two firings, round the clock.
            every = 3600 * min(
                (later - earlier) % 24 or 24
                for earlier, later in zip(hours, [*hours[1:], hours[0]], strict=True)
            )
        else:
            every = schedule
        assert entry["options"]["expires"] < every
