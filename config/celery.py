"""The Celery application and its beat schedule, the one place periodic work is declared.

Tasks are thin and idempotent (STYLE.md point 7): they take ids, call one service and are
safe to run twice. Every beat entry expires, so ticks queued while no worker runs do not
pile up, and nothing is ever scheduled as a far-future ETA task: a periodic scan finds what
is due instead. Broker settings are the ``CELERY_*`` names in ``config/settings.py``.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("speakup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    # Every minute, prove that the worker and the scheduler are alive; the health page
    # reads the heartbeat row this writes.
    "record-heartbeat": {
        "task": "ops.tasks.record_heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
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
