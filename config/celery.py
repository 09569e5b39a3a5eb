"""The Celery application and its beat schedule, the one place periodic work is declared.

Tasks are thin and idempotent (STYLE.md point 7): they take ids, call one service and are
safe to run twice. Every beat entry expires, so ticks queued while no worker runs do not
pile up, and nothing is ever scheduled as a far-future ETA task: a periodic scan finds what
is due instead. Broker settings are the ``CELERY_*`` names in ``config/settings.py``.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_init, worker_ready
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_list

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# How often the heartbeat runs: every minute (an environment variable only so that a test of
# two schedulers need not wait minutes). The task claims each slot of this length in the
# database, so however many schedulers send it, it is recorded once per slot.
HEARTBEAT_SECONDS = env_int("SPEAKUP_HEARTBEAT_SECONDS", 60, minimum=1)
# How often the reminder scan runs (seconds); tests shorten it.
_scan_seconds = env_int("SPEAKUP_REMINDER_SCAN_SECONDS", 300, minimum=5)

app = Celery("speakup")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _hours(name: str, default: list[str]) -> str:
    """Hours of the day (0 to 23) from a comma-separated setting, for a crontab; a value that
    is not one stops the start with the setting's name."""
    values = env_list(name, default)
    if not values or not all(v.isdigit() and 0 <= int(v) <= 23 for v in values):
        raise ImproperlyConfigured(f"{name} must list hours of the day from 0 to 23, e.g. 8,12,16")
    return ",".join(sorted({str(int(v)) for v in values}, key=int))


# The day's fixed rounds at which staff are told what reporters did (a new report, a reply,
# a file, a check-in answer): never at the moment, which would tell them its time of day
# (docs/decisions/0009-reporter-time-of-day.md).
STAFF_NEWS_HOURS = _hours("SPEAKUP_STAFF_NEWS_HOURS", ["8", "12", "16"])

app.conf.beat_schedule = {
    # Every minute, prove that the worker and the scheduler are alive; the health page
    # reads the heartbeat row this writes.
    "record-heartbeat": {
        "task": "ops.tasks.record_heartbeat",
        "schedule": float(HEARTBEAT_SECONDS),
        "kwargs": {"every": HEARTBEAT_SECONDS},
        "options": {"expires": max(1, HEARTBEAT_SECONDS * 11 // 12)},
    },
    # Once a day at 03:00, copy the day's new evidence files afresh, so that every file's
    # birth and change times show this sweep, which says only which day it came, and remove
    # files a crash left without a record (cases/storage.py). Once a day, not hourly: an
    # hourly copy would date every upload to its hour for good.
    "sweep-evidence-storage": {
        "task": "cases.tasks.sweep_evidence_storage",
        "schedule": crontab(hour=3, minute=0),
        "options": {"expires": 6 * 3600},
    },
    # Every hour, check that no audit event or refused-access record has been changed,
    # removed, added or reordered; the health page shows the latest result.
    "verify-audit-chains": {
        "task": "cases.tasks.verify_audit_chains",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # On the first day of each quarter at 05:00, store the report pack of the quarter just
    # ended (PDF, XLSX and CSV) for governance leads; running twice stores it once. For a
    # monthly pack too, add the same entry with kwargs {"grain": "month"} and day_of_month=1.
    "generate-quarterly-report-pack": {
        "task": "reports.tasks.generate_report_pack",
        "schedule": crontab(hour=5, minute=0, day_of_month=1, month_of_year="1,4,7,10"),
        "kwargs": {"grain": "quarter"},
        "options": {"expires": 12 * 3600},
    },
    # Every five minutes, claim the reminders due (deadlines and actions: soon, today,
    # overdue, escalations) and hand the e-mail outbox and the day's digests to tasks
    # (notifications/reminders.py). A missed tick is caught up by the next one.
    "scan-reminders": {
        "task": "notifications.tasks.scan_reminders",
        "schedule": float(_scan_seconds),
        "options": {"expires": max(_scan_seconds - 20, 5)},
    },
    # Every two minutes, hand the reporters' waiting "there is news on your report" e-mails
    # to tasks (cases/news.py): written by staff work without asking the broker, sent here.
    "send-reporter-news": {
        "task": "cases.tasks.scan_reporter_news",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    # At the day's fixed hours (STAFF_NEWS_HOURS), tell the holders of each case what its
    # reporter did since the last round (notifications.services.staff_news_send).
    "send-staff-news": {
        "task": "notifications.tasks.send_staff_news",
        "schedule": crontab(hour=STAFF_NEWS_HOURS, minute=0),
        "options": {"expires": 3000},
    },
    # Once a day at 02:30, delete the content of cases whose retention period has passed
    # (each case alone, so a stopped run loses nothing), then stale sessions and submission
    # keys whose turn has come (retention/purge.py, retention/ancillary.py). Before the 03:00
    # evidence sweep, which then finds nothing left of them.
    "purge-expired-cases": {
        "task": "retention.tasks.purge_expired_cases",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 3600},
    },
}
app.autodiscover_tasks()


@beat_init.connect
def beat_at_once(sender: Any = None, **_: Any) -> None:
    """A scheduler that has just started sends the heartbeat at once instead of a minute
    later (an interval entry first falls due one interval after the start), so that the
    health check does not report a missing heartbeat for the first minute of every start.
    The task claims its slot, so this extra send is never recorded twice."""
    entry = app.conf.beat_schedule["record-heartbeat"]
    (sender.app if sender is not None else app).send_task(
        entry["task"], kwargs=entry["kwargs"], **entry["options"]
    )


@worker_init.connect
def poll_the_embedded_broker_sooner(**_: Any) -> None:
    """A worker on the embedded broker asks for the next message five times a second, not
    kombu's default once. The transport also waits out one poll whenever the worker's slots
    are full, so once a second held a worker to about two tasks a second (three hundred took
    two and a half minutes). Five small reads a second of an idle SQLite file cost next to
    nothing. Set on the class because kombu's SQLAlchemy transport hands every transport
    option to ``create_engine``, which refuses ``polling_interval``. Nothing to do on Redis,
    which waits for messages instead of polling."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("sqla+"):
        from kombu.transport import sqlalchemy

        sqlalchemy.Transport.polling_interval = settings.SPEAKUP_EMBEDDED_BROKER_POLL_SECONDS


@worker_ready.connect
def forget_delivered_messages(**_: Any) -> None:
    """The embedded broker (kombu's SQLAlchemy transport) keeps every delivered message as a
    hidden row and never reads it again; a worker starting removes them, so the file does
    not grow for ever. Nothing to do on Redis."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not url.startswith("sqla+sqlite:"):
        return
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.removeprefix("sqla+"))
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("DELETE FROM kombu_message WHERE visible = 0"))
    finally:
        engine.dispose()
