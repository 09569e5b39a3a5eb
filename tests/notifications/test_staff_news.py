"""Staff hear what reporters did at the day's fixed rounds, never at the moment they did it
(docs/decisions/0009-reporter-time-of-day.md): a new report, a reply, a file and a worrying
check-in answer each wait as ``StaffNews`` (a day, no time) until ``staff_news_send`` runs
at one of ``SPEAKUP_STAFF_NEWS_HOURS``. Through the reporter's real pages."""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo

import pytest
import time_machine
from celery.schedules import crontab
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured

from cases.models import Case
from notifications.kinds import KINDS, NEW_REPORT
from notifications.models import Notification, StaffNews
from notifications.services import staff_news_record, staff_news_send
from notifications.tasks import send_staff_news
from tests.builders import make_case, make_case_type, make_handler
from tests.intake.conftest import answers

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
SEND = "/report/whistleblowing/send/"
# A Tuesday afternoon: the reporter acts at 14:37, the round runs at 16:00.
ACTED = dt.datetime(2026, 3, 3, 14, 37, tzinfo=LONDON)
ROUND = dt.datetime(2026, 3, 3, 16, 0, tzinfo=LONDON)


@pytest.fixture
def office(db):
    """The whistleblowing kind the reporter pages file, triaged by ``triage`` (who hears of
    a case nobody holds yet)."""
    from cases.models import Category, OrganisationalUnit

    lead = User.objects.create_user("triage", email="triage@example.org")
    team = Group.objects.create(name="Whistleblowing triage team")
    lead.groups.add(Group.objects.get_or_create(name="Triage lead")[0], team)
    case_type = make_case_type(slug="whistleblowing", name="Whistleblowing", triage_team=team)
    Category.objects.create(case_type=case_type, slug="fraud", name="Fraud")
    OrganisationalUnit.objects.create(slug="finance", name="Finance")
    return type("Office", (), {"lead": lead, "case_type": case_type})


def _token(response) -> str:
    match = re.search(rb'id="token">([0-9A-Z-]+)<', response.content)
    assert match, "no token on the receipt page"
    return match.group(1).decode()


def _told() -> list[tuple[str, str, str]]:
    """(recipient, kind, the time it carries) of every notification."""
    return sorted(
        (n.recipient.username, n.kind, n.created_at.astimezone(LONDON).strftime("%H:%M"))
        for n in Notification.objects.select_related("recipient")
    )


def _follow_up(client, token: str) -> str:
    assert client.post("/follow-up/", {"token": token}).status_code == 302
    text = client.get("/follow-up/case/").content.decode()
    return re.search(r'name="form_key" value="([^"]+)"', text).group(1)


def test_a_new_report_is_told_to_triage_at_the_next_round_not_when_it_was_sent(client, office):
    with time_machine.travel(ACTED, tick=False):
        assert client.post(SEND, answers(office.case_type)).status_code == 200
    case = Case.objects.get()
    assert not Notification.objects.exists()
    assert list(StaffNews.objects.values_list("case_id", "kind", "since")) == [
        (case.pk, "new_report", dt.date(2026, 3, 3))
    ]
    with time_machine.travel(ROUND, tick=False):
        send_staff_news()  # the beat's task: the round itself
    assert _told() == [("triage", "new_report", "16:00")]
    assert not StaffNews.objects.exists()
    with time_machine.travel(ROUND + dt.timedelta(hours=4), tick=False):
        assert staff_news_send() == 0  # told once
    assert Notification.objects.count() == 1


def test_replies_and_files_before_a_round_are_one_piece_of_news_for_the_handler(client, office):
    with time_machine.travel(ACTED, tick=False):
        token = _token(client.post(SEND, answers(office.case_type)))
        case = Case.objects.get()
        handler = make_handler(case, "ann")
        staff_news_send()  # the new report, told (to the handler, who holds it now)
        Notification.objects.all().delete()
        form_key = _follow_up(client, token)
        for body in ("Here is more.", "And one more thing."):
            reply = client.post("/follow-up/reply/", {"body": body, "form_key": form_key})
            assert reply.status_code == 302
        upload = io.BytesIO(b"Notes about the invoices\n")
        upload.name = "notes.txt"
        added = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": upload})
        assert added.status_code == 200
    assert not Notification.objects.exists()
    with time_machine.travel(ROUND, tick=False):
        assert staff_news_send() == 1
    assert _told() == [(handler.username, "case_news", "16:00")]


def test_a_reply_to_a_new_report_before_the_round_is_not_told_apart(client, office):
    with time_machine.travel(ACTED, tick=False):
        token = _token(client.post(SEND, answers(office.case_type)))
        form_key = _follow_up(client, token)
        reply = client.post("/follow-up/reply/", {"body": "One more thing.", "form_key": form_key})
        assert reply.status_code == 302
    assert StaffNews.objects.count() == 2  # a new report, and news on it
    with time_machine.travel(ROUND, tick=False):
        assert staff_news_send() == 2
    assert _told() == [("triage", "new_report", "16:00")]
    assert not StaffNews.objects.exists()


def test_a_refused_reply_or_file_is_no_news(client, office):
    with time_machine.travel(ACTED, tick=False):
        token = _token(client.post(SEND, answers(office.case_type)))
        staff_news_send()
        form_key = _follow_up(client, token)
        assert (
            client.post("/follow-up/reply/", {"body": "", "form_key": form_key}).status_code == 400
        )
        forged = client.post("/follow-up/reply/", {"body": "Hello", "form_key": "forged"})
        assert forged.status_code == 403
        hostile = io.BytesIO(b"MZ\x90\x00 not really a picture")
        hostile.name = "photo.jpg"
        refused = client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": hostile})
        assert refused.status_code == 400
    assert not StaffNews.objects.exists()


def test_news_that_cannot_be_told_stays_for_the_next_round(client, office, monkeypatch):
    with time_machine.travel(ACTED, tick=False):
        assert client.post(SEND, answers(office.case_type)).status_code == 200

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr("notifications.services._notify_each", broken)
    with time_machine.travel(ROUND, tick=False), pytest.raises(RuntimeError):
        staff_news_send()
    assert StaffNews.objects.count() == 1 and not Notification.objects.exists()
    monkeypatch.undo()
    with time_machine.travel(ROUND + dt.timedelta(hours=16), tick=False):
        assert staff_news_send() == 1
    assert _told() == [("triage", "new_report", "08:00")]


def test_only_news_for_a_cases_holders_can_be_recorded(office):
    case = make_case(case_type=office.case_type)
    holders_kinds = sorted(k for k, kind in KINDS.items() if kind.audience == "holders")
    assert NEW_REPORT in holders_kinds
    for kind in ("escalation", "report_pack_ready", "no_such_kind"):
        with pytest.raises(ValueError):
            staff_news_record(case, kind)
    assert not StaffNews.objects.exists()


def test_the_rounds_run_at_the_days_fixed_hours(monkeypatch):
    from config import celery

    entry = celery.app.conf.beat_schedule["send-staff-news"]
    assert entry["task"] == "notifications.tasks.send_staff_news"
    assert entry["schedule"] == crontab(hour="8,12,16", minute=0)
    assert celery._hours("X", ["16", "8", "08", "12"]) == "8,12,16"
    monkeypatch.setenv("SPEAKUP_STAFF_NEWS_HOURS", "9, 17")
    assert celery._hours("SPEAKUP_STAFF_NEWS_HOURS", ["8"]) == "9,17"
    for bad in ("24", "-1", "noon", "8;12", ","):
        monkeypatch.setenv("SPEAKUP_STAFF_NEWS_HOURS", bad)
        with pytest.raises(ImproperlyConfigured, match="SPEAKUP_STAFF_NEWS_HOURS"):
            celery._hours("SPEAKUP_STAFF_NEWS_HOURS", ["8"])
