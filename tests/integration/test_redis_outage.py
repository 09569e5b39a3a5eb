"""Redis stops: reporting and case work go on, and the reminder goes out once it is back.

A Redis of the test's own (cache and broker, as in production) on a free loopback port, a
real worker and beat on it, and the PostgreSQL test database. Redis is stopped; a reporter
files a report through the report form and a handler takes a step through the case page,
neither of which waits on the broker (the web side only writes rows; the scan hands them
to tasks). Nothing can be sent while Redis is down. Redis starts again on the same port;
the worker and beat reconnect, and the next scan claims the new report's overdue
acknowledgement (the scan's day is ten days on) and e-mails the triage lead, once.
"""

import datetime as dt
import re
import time
from email import message_from_string
from email.message import Message

import pytest
from django.utils import timezone

from cases.models import Case, Category, OrganisationalUnit
from notifications.models import Reminder, ScanRun
from tests.intake.conftest import answers
from tests.integration.test_celery_worker import _wait_for, celery_env, start_celery, stop_celery
from tests.ops.redis_server import redis_server, use_cache_at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def redis_for_everything(settings):
    """Cache and broker on a Redis of this test's own, for this process and the workers."""
    with redis_server() as server:
        use_cache_at(settings, server.url)
        settings.CELERY_BROKER_URL = server.url
        yield server


@pytest.fixture
def workers(redis_for_everything, tmp_path):
    env = celery_env(
        redis_for_everything.url,
        CACHE_URL=redis_for_everything.url,
        SPEAKUP_DATA_DIR=str(tmp_path / "data"),  # e-mails as files in data/mail
        SPEAKUP_REMINDER_TODAY=(timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        SPEAKUP_REMINDER_SCAN_SECONDS="5",
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "beat")}
    started = {
        "worker": start_celery(env, logs["worker"], "worker", "--pool=solo"),
        "beat": start_celery(
            env, logs["beat"], "beat", "--schedule", str(tmp_path / "beat-schedule")
        ),
    }
    yield started, logs, tmp_path / "data" / "mail"
    for process in started.values():
        stop_celery(process)


def _mails(folder) -> list[Message]:
    if not folder.exists():
        return []
    # The file backend appends each message to a file, separated by a line of dashes.
    found = []
    for path in sorted(folder.glob("*.log")):
        for part in re.split(r"\n-{79}\n", path.read_text()):
            if part.strip():
                found.append(message_from_string(part))
    return found


def test_intake_and_case_work_go_on_with_redis_stopped_and_the_reminder_follows(
    cast, sign_in, client, redis_for_everything, workers
):
    started, logs, mail = workers
    report = "\n\n".join(f"{name}:\n{{}}" for name in logs)

    def show_logs() -> str:
        return report.format(*(path.read_text() for path in logs.values()))

    cast.triage_lead.email = "triage@example.org"
    cast.triage_lead.save(update_fields=["email"])
    Category.objects.create(case_type=cast.case_type, slug="fraud", name="Fraud")
    OrganisationalUnit.objects.create(slug="finance", name="Finance")

    def to_lead() -> list[str]:
        return sorted(m["Subject"] for m in _mails(mail) if m["To"] == "triage@example.org")

    # Before the outage, worker, beat and broker work: ten days on, the cast's case (held by
    # its handlers, who have no address) is long overdue, and its triage lead hears so.
    long_overdue = "A case is long overdue and needs attention"
    assert _wait_for(lambda: to_lead() == [long_overdue], 90), show_logs()

    redis_for_everything.stop()
    stopped_at = timezone.now()

    # A report through the real form: taken, its token shown, its deadline clock running.
    started_request = time.monotonic()
    sent = client.post(f"/report/{cast.case_type.slug}/send/", answers(cast.case_type))
    assert sent.status_code == 200
    assert re.search(rb'id="token">[0-9A-Z-]+<', sent.content)
    filed = Case.objects.exclude(pk=cast.case.pk).get()
    assert filed.clocks.filter(kind="acknowledge", stopped_on__isnull=True).exists()
    # A step through the real case page: the case moves on.
    sign_in(cast.assigned_handler)
    moved = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {"step": "acknowledge", "expected_state": "received"},
    )
    assert moved.status_code == 302, moved.content.decode()[:500]
    cast.case.refresh_from_db()
    assert cast.case.state != "received"
    # Neither waited on the broker: it is never asked (a refused connection would be
    # retried for seconds), the cache's failure costs nothing once its breaker is open.
    assert time.monotonic() - started_request < 5

    # While Redis is down nothing is scanned or sent, and worker and beat keep running.
    time.sleep(8)
    assert not ScanRun.objects.filter(started_at__gt=stopped_at).exists()
    assert not Reminder.objects.filter(case=filed).exists()
    assert to_lead() == [long_overdue]
    assert all(process.poll() is None for process in started.values()), show_logs()

    redis_for_everything.start()
    back_at = timezone.now()

    assert _wait_for(lambda: len(to_lead()) >= 3, 120), show_logs()
    time.sleep(6)  # a further scan sends nothing again
    # Nobody holds the new report: its triage lead hears that its acknowledgement deadline
    # passed and, three working days past it, the escalation; once each.
    assert to_lead() == sorted([long_overdue, long_overdue, "A deadline on a case has passed"])
    claims = Reminder.objects.filter(case=filed)
    assert sorted(claims.values_list("level", flat=True)) == ["escalate_lead", "overdue"]
    assert all(claimed_at > back_at for claimed_at in claims.values_list("claimed_at", flat=True))
