"""Tasks and e-mail: once whatever runs twice or crashes, retried then failed, ids only,
and nothing a case holds in any e-mail or notification."""

import datetime as dt
import smtplib
from unittest import mock

import pytest
import time_machine
from celery.app.task import Task
from django.core import mail

from notifications import delivery, tasks
from notifications.delivery import MAX_ATTEMPTS, notification_deliver
from notifications.models import Delivery, Notification, Reminder, ReminderState
from notifications.reminders import reminder_process
from notifications.selectors import reminder_health
from tests.builders import make_handler

NOON = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)  # the day after the deadline


@pytest.fixture
def overdue(filed, run_scan, queue):
    """The acknowledgement went overdue and the scan claimed one reminder."""
    handler = make_handler(filed, "handler")
    handler.email = "handler@example.org"
    handler.save(update_fields=["email"])
    run_scan(dt.date(2026, 3, 10))
    (reminder_id,) = queue.reminders
    return type("Overdue", (), {"case": filed, "handler": handler, "reminder_id": reminder_id})


def _run_reminder(queue, reminder_id):
    with time_machine.travel(NOON, tick=False):
        return reminder_process(reminder_id, queue.emails.append)


def test_a_reminder_run_twice_notifies_once_and_sends_one_email(overdue, queue):
    assert _run_reminder(queue, overdue.reminder_id) == "done"
    assert _run_reminder(queue, overdue.reminder_id) == "already"
    (notification,) = Notification.objects.all()
    assert notification.recipient == overdue.handler and notification.kind == "deadline_overdue"
    for _ in range(2):  # the e-mail task delivered twice (at-least-once broker)
        tasks.send_notification_email.run(notification.pk)
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().state == ReminderState.DONE


def test_after_a_crash_between_sending_and_the_acknowledgement_nothing_is_sent_again(
    overdue, queue
):
    _run_reminder(queue, overdue.reminder_id)
    notification = Notification.objects.get()
    assert notification_deliver(notification.pk).status == "sent"
    # The worker died before acknowledging: the broker delivers the message again.
    assert notification_deliver(notification.pk).status == "already"
    assert len(mail.outbox) == 1


def test_a_crash_while_sending_is_recorded_failed_never_sent_twice(overdue, queue, run_scan):
    _run_reminder(queue, overdue.reminder_id)
    notification = Notification.objects.get()
    with (
        mock.patch.object(delivery, "_settle", side_effect=SystemExit("worker killed")),
        time_machine.travel(NOON, tick=False),
        pytest.raises(SystemExit),
    ):
        notification_deliver(notification.pk)
    assert len(mail.outbox) == 1  # the server had taken it when the worker died
    assert notification_deliver(notification.pk).status == "already"  # redelivered: no
    run_scan(at=NOON + dt.timedelta(minutes=10))  # within the lease: left alone
    assert Notification.objects.get().delivery == Delivery.SENDING
    run_scan(at=NOON + dt.timedelta(minutes=20))
    notification.refresh_from_db()
    assert (notification.delivery, notification.outcome) == (Delivery.FAILED, "interrupted")
    assert len(mail.outbox) == 1


def test_two_workers_at_once_claim_one_email(overdue, queue):
    _run_reminder(queue, overdue.reminder_id)
    pk = Notification.objects.get().pk
    assert delivery._claim(Notification, pk, NOON) is True
    assert delivery._claim(Notification, pk, NOON) is False  # the second worker's UPDATE


def test_a_refusing_mail_server_is_retried_with_backoff_then_recorded_failed(overdue, queue):
    _run_reminder(queue, overdue.reminder_id)
    pk = Notification.objects.get().pk
    waits = []
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send",
        side_effect=smtplib.SMTPRecipientsRefused({}),
    ):
        for _ in range(MAX_ATTEMPTS):
            outcome = notification_deliver(pk)
            waits.append(outcome.retry_in)
    assert waits == [60, 120, 240, 480, None]
    row = Notification.objects.get(pk=pk)
    assert (row.delivery, row.attempts, row.outcome) == (Delivery.FAILED, 5, "smtp")
    assert reminder_health().failed == 1
    assert not mail.outbox


def test_the_task_asks_celery_to_retry_after_the_backoff(overdue, queue):
    _run_reminder(queue, overdue.reminder_id)
    pk = Notification.objects.get().pk
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("down")),
        mock.patch.object(tasks.send_notification_email, "retry", side_effect=RuntimeError) as r,
        pytest.raises(RuntimeError),
    ):
        tasks.send_notification_email.run(pk)
    assert r.call_args.kwargs == {"countdown": 60}


@pytest.mark.parametrize("bad", ["1", None, True, -3, 0, 2**70, 1.5, [1], {"id": 1}])
def test_a_malformed_task_message_is_rejected_without_effect(overdue, bad, caplog):
    for task in (tasks.send_reminder, tasks.send_notification_email, tasks.send_digest):
        task.run(bad)
    assert Reminder.objects.get().state == ReminderState.CLAIMED
    assert "malformed id" in caplog.text


def test_a_reminder_for_a_closed_purged_or_reassigned_case_does_nothing(overdue, queue, caplog):
    from cases.models import DataKey
    from permissions.services import case_unassign

    case = overdue.case
    lead = case.case_type.triage_team.user_set.get(username="triage")
    case_unassign(case=case, user=overdue.handler, actor=lead)
    # The handler was taken off after the reminder was claimed: the lead now holds it, and
    # the handler's e-mail (had it been made) would not go.
    assert _run_reminder(queue, overdue.reminder_id) == "done"
    # (make_handler put its own triage lead in the team.)
    assert sorted(n.recipient.username for n in Notification.objects.all()) == [
        "builder-triage-lead",
        "triage",
    ]
    # Purged: its data key is gone.
    Reminder.objects.update(state=ReminderState.CLAIMED)
    DataKey.objects.filter(case=case).delete()
    assert _run_reminder(queue, overdue.reminder_id) == "purged"
    assert "reminder skipped" in caplog.text


def test_an_email_to_someone_no_longer_holding_the_case_is_not_sent(overdue, queue):
    from permissions.services import case_unassign

    _run_reminder(queue, overdue.reminder_id)
    notification = Notification.objects.get()
    lead = overdue.case.case_type.triage_team.user_set.get(username="triage")
    case_unassign(case=overdue.case, user=overdue.handler, actor=lead)
    assert notification_deliver(notification.pk).status == "skipped"
    notification.refresh_from_db()
    assert notification.outcome == "reassigned" and not mail.outbox


def test_captured_task_messages_hold_only_ids(filed, office, django_capture_on_commit_callbacks):
    make_handler(filed, "handler")
    sent = []

    def capture(self, args=None, kwargs=None, **options):
        sent.append((self.name, args, kwargs))

    with (
        mock.patch.object(Task, "apply_async", capture),
        time_machine.travel(NOON, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.scan_reminders.run()
    assert sent, "the scan enqueued nothing"
    for name, args, kwargs in sent:
        assert name.startswith("notifications.tasks.")
        assert not kwargs and len(args) == 1 and type(args[0]) is int


def test_reminder_health_counts(overdue, queue, run_scan):
    _run_reminder(queue, overdue.reminder_id)
    notification_deliver(Notification.objects.get().pk)
    health = reminder_health()
    assert (health.due, health.sent, health.failed, health.waiting) == (0, 1, 0, 0)
    assert health.last_scan_at is not None and health.last_scan_ms is not None
