"""Two scans, two reminder tasks and two e-mail tasks at the same moment, on PostgreSQL's
real concurrent transactions: one claim, one notification, one e-mail."""

import datetime as dt
import threading
from unittest import mock

import pytest
import time_machine
from django.core import mail

from notifications import reminders
from notifications.delivery import notification_deliver
from notifications.models import Notification, Reminder
from notifications.reminders import Enqueue, reminder_process, scan
from tests.builders import make_case, make_case_type, make_handler
from tests.cases.test_audit_chain import _at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DAY = dt.datetime(2026, 3, 12, 9, tzinfo=dt.UTC)  # three working days after the deadline


def _cases(count):
    from django.contrib.auth.models import Group, User

    team = Group.objects.create(name="Triage team")
    lead = User.objects.create_user("triage", email="triage@example.org")
    lead.groups.add(Group.objects.get_or_create(name="Triage lead")[0], team)
    case_type = make_case_type(triage_team=team)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        return [make_case(case_type=case_type) for _ in range(count)]


def test_two_overlapping_scans_claim_each_reminder_once():
    _cases(5)
    enqueued: list[list[int]] = [[], []]
    both_started = threading.Barrier(2)
    waited: set[int] = set()
    original = reminders.claims_insert

    def insert_together(*args, **kwargs):
        if threading.get_ident() not in waited:  # once each: then one waits for the other
            waited.add(threading.get_ident())
            both_started.wait(timeout=10)  # both transactions are open, nothing claimed yet
        return original(*args, **kwargs)

    def run(n: int) -> None:
        queue = enqueued[n].append
        scan(Enqueue(reminder=queue, email=queue, digest=queue))

    # Patched and travelled once, here, for both threads: two threads patching one object
    # would restore each other's patch.
    with (
        time_machine.travel(DAY, tick=False),
        mock.patch.object(reminders, "claims_insert", insert_together),
    ):
        assert _at_once(2, run) == []
    # Five clocks, two levels each (overdue, and the lead's escalation), claimed once.
    assert Reminder.objects.count() == 10
    assert sorted(enqueued[0] + enqueued[1]) == sorted(
        Reminder.objects.values_list("pk", flat=True)
    )


def test_one_reminder_on_two_workers_at_once_notifies_once_and_emails_once():
    (case,) = _cases(1)
    handler = make_handler(case, "handler")
    handler.email = "handler@example.org"
    handler.save(update_fields=["email"])
    with time_machine.travel(DAY, tick=False):
        ids: list[int] = []
        scan(Enqueue(reminder=ids.append, email=ids.append, digest=ids.append))
    reminder_id = Reminder.objects.get(level="overdue").pk
    emails: list[int] = []

    def work(n: int) -> None:
        reminder_process(reminder_id, emails.append)

    with time_machine.travel(DAY, tick=False):
        assert _at_once(2, work) == []
    (notification,) = Notification.objects.filter(kind="deadline_overdue")
    outcomes: list[str] = []
    assert (
        _at_once(2, lambda n: outcomes.append(notification_deliver(notification.pk).status)) == []
    )
    assert sorted(outcomes) == ["already", "sent"]
    assert len(mail.outbox) == 1
