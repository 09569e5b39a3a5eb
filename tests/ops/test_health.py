"""/healthz answers 200 only when the database, the cache, the broker and the heartbeat are
all right, and says which is not; the staff health page shows the same to administrators."""

import datetime as dt
import time
from unittest import mock

import pytest
import time_machine
from django.db import DatabaseError

from ops.services import heartbeat_record

T0 = dt.datetime(2026, 11, 30, 9, 0, 0, tzinfo=dt.UTC)
CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def beating(db):
    with time_machine.travel(T0, tick=False):
        heartbeat_record(name="beat")


def _health(client, minutes_after_beat=1):
    with time_machine.travel(T0 + dt.timedelta(minutes=minutes_after_beat), tick=False):
        answer = client.get("/healthz")
    return answer.status_code, answer.json()


def test_all_right_answers_200_and_says_so(client, beating):
    status, body = _health(client)
    assert status == 200
    expected = {
        "status": "ok",
        "failing": [],
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "heartbeat": "ok",
        "last_heartbeat": "2026-11-30T09:00:00Z",
    }
    assert {key: body[key] for key in expected} == expected
    assert isinstance(body["tasks_waiting"], int)
    assert client.post("/healthz").status_code == 405


def test_a_stale_heartbeat_is_unhealthy(client, beating):
    assert _health(client, minutes_after_beat=5)[0] == 200  # five minutes: still in time
    status, body = _health(client, minutes_after_beat=6)
    assert (status, body["heartbeat"], body["failing"]) == (503, "stale", ["heartbeat"])
    assert body["last_heartbeat"] == "2026-11-30T09:00:00Z"


@pytest.mark.django_db
def test_a_heartbeat_never_recorded_is_unhealthy(client):
    status, body = _health(client)
    assert (status, body["heartbeat"], body["failing"]) == (503, "missing", ["heartbeat"])


def test_a_broker_that_is_down_is_unhealthy(client, beating, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2100}
    status, body = _health(client)
    assert (status, body["broker"], body["tasks_waiting"]) == (503, "down", None)
    assert body["failing"] == ["broker"]


@pytest.mark.slow  # waits out real timeouts: wall-clock time, not work
def test_a_broker_that_hangs_answers_unhealthy_within_the_probe_limit(
    client, beating, settings, own_redis
):
    settings.CELERY_BROKER_URL = own_redis.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2100}
    settings.SPEAKUP_BROKER_PROBE_SECONDS = 0.3
    assert _health(client)[1]["broker"] == "ok"
    own_redis.hang()
    started = time.monotonic()
    status, body = _health(client)
    assert time.monotonic() - started < 3  # the cache's half second, the probe's limits
    assert (status, body["broker"], body["cache"]) == (503, "down", "down")


def test_a_cache_that_is_down_is_unhealthy(client, beating, cache_down):
    status, body = _health(client)
    assert (status, body["cache"], body["failing"]) == (503, "down", ["cache"])


def test_a_database_that_is_down_is_unhealthy(client, beating):
    with mock.patch("ops.selectors.heartbeat_state", side_effect=DatabaseError("gone")):
        status, body = _health(client)
    assert (status, body["database"], body["audit"]) == (503, "down", None)
    assert body["failing"] == ["database", "heartbeat"]


# --- The staff health page ------------------------------------------------------------------


def test_the_health_page_is_for_administrators_only(cast, sign_in, client):
    for who in ("triage_lead", "assigned_handler", "governance_lead", "superuser"):
        sign_in(getattr(cast, who))
        assert client.get("/staff/health/").status_code == 404, who
    client.logout()
    assert client.get("/staff/health/").status_code in (302, 404)
    sign_in(cast.administrator)
    page = client.get("/staff/health/")
    assert page.status_code == 200
    assert b'href="/staff/health/"' in page.content  # in the administrator's menu


def test_the_health_page_shows_each_check(cast, sign_in, client, settings):
    sign_in(cast.administrator)
    with time_machine.travel(T0, tick=False):
        heartbeat_record(name="beat")
    settings.CELERY_BROKER_URL = CLOSED_PORT
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        text = client.get("/staff/health/").content.decode()
    for shown in (
        "Part of the service is not working",
        "<li>broker</li>",
        "<li>heartbeat</li>",
        "Not reachable",
        "Stale",
        "30 November 2026",
        "Not yet verified",
    ):
        assert shown in text, shown
    assert "<li>database</li>" not in text and "<li>cache</li>" not in text


def test_the_health_page_says_healthy_when_all_is_right(cast, sign_in, client):
    sign_in(cast.administrator)
    heartbeat_record(name="beat")
    text = client.get("/staff/health/").content.decode()
    assert "Every check passes." in text and "tasks waiting" in text


def test_the_health_page_shows_how_the_reminders_are_going(cast, sign_in, client):
    from notifications.models import Delivery, Notification, ScanRun

    sign_in(cast.administrator)
    text = client.get("/staff/health/").content.decode()
    assert "Not run yet" in text and "0 sent, 0 failed, 0 waiting to go" in text
    with time_machine.travel(T0, tick=False):
        now = dt.datetime.now(dt.UTC)
        ScanRun.objects.create(
            started_at=now, finished_at=now, duration_ms=42, today=now.date(), claimed=3
        )
        for delivery, sent in (
            (Delivery.SENT, True),
            (Delivery.SENT, True),
            (Delivery.FAILED, False),
            (Delivery.PENDING, False),
        ):
            Notification.objects.create(
                recipient=cast.assigned_handler,
                kind="deadline_overdue",
                created_at=now,
                delivery=delivery,
                claimed_at=now,
                emailed_at=now if sent else None,
            )
        text = client.get("/staff/health/").content.decode()
    for shown in ("took 42 ms", "2 sent, 1 failed, 1 waiting to go", "Failures"):
        assert shown in text, shown
