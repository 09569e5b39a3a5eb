"""What the reporter is told and when their token stops working; the ancillary purges."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from intake.models import SubmissionKey
from ops.models import Heartbeat
from retention.ancillary import ancillary_purge
from retention.selectors import token_opens
from retention.services import policy_seed
from tests.builders import make_case, make_case_type
from tests.retention.conftest import close


def _follow(client: Client, token: str) -> str:
    client.post("/follow-up/", {"token": token})
    return client.get("/follow-up/case/").content.decode()


@pytest.mark.django_db
def test_the_follow_up_page_says_when_the_report_will_be_deleted(client):
    case_type = make_case_type(retention_days=400)
    policy_seed(case_type=case_type, content_days=400, token_days=100)
    case, token = make_case(case_type=case_type, with_token=True)
    page = _follow(client, token)
    assert "Your report will be deleted 400 days after the case is closed." in page
    close(case)
    page = _follow(Client(), token)
    day = timezone.localdate() + dt.timedelta(days=400)
    assert f"Your report will be deleted on {day.day} {day:%B %Y}." in page


@pytest.mark.django_db
def test_the_token_stops_opening_the_case_after_its_period(client, monkeypatch):
    case_type = make_case_type(retention_days=400)
    policy_seed(case_type=case_type, content_days=400, token_days=100)
    case, token = make_case(case_type=case_type, with_token=True)
    case = close(case)
    assert token_opens(case, timezone.localdate() + dt.timedelta(days=99))
    assert not token_opens(case, timezone.localdate() + dt.timedelta(days=100))
    assert _follow(client, token).count("Your report") >= 1
    later = timezone.localdate() + dt.timedelta(days=100)
    monkeypatch.setattr("retention.selectors.timezone.localdate", lambda *a, **k: later)
    # The follow-up already open ends, and the token is answered like a wrong one.
    assert client.get("/follow-up/case/").status_code == 403
    answer = Client().post("/follow-up/", {"token": token})
    assert answer.status_code == 404
    assert re.search(r"No report matches that token", answer.content.decode())


@pytest.mark.django_db
def test_stale_sessions_and_submission_keys_go_on_their_own_schedule():
    now = timezone.now()
    Session.objects.create(
        session_key="old", session_data="x", expire_date=now - dt.timedelta(hours=1)
    )
    Session.objects.create(
        session_key="live", session_data="x", expire_date=now + dt.timedelta(days=2)
    )
    SubmissionKey.objects.create(
        digest=b"1" * 32, used_on=timezone.localdate() - dt.timedelta(days=31)
    )
    SubmissionKey.objects.create(
        digest=b"2" * 32, used_on=timezone.localdate() - dt.timedelta(days=29)
    )
    assert ancillary_purge(now=now) == {"sessions": 1, "submission keys": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert SubmissionKey.objects.count() == 1
    assert Heartbeat.objects.filter(name__startswith="retention:").count() == 2
    # Each runs at most once a day.
    Session.objects.create(
        session_key="old2", session_data="x", expire_date=now - dt.timedelta(hours=1)
    )
    assert ancillary_purge(now=now + dt.timedelta(hours=1)) == {}
    assert ancillary_purge(now=now + dt.timedelta(days=1, minutes=1)) == {
        "sessions": 1,
        "submission keys": 0,
    }
