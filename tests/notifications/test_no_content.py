"""No e-mail, notification or log line of this app carries anything a case holds."""

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core import mail

from cases.models import Category, MessageKind, OrganisationalUnit
from cases.services import evidence_attach, message_add
from notifications.delivery import digest_deliver, notification_deliver
from notifications.models import EmailChoice, EmailPreference, Notification, ReminderPolicy
from notifications.reminders import reminder_process
from tests.builders import make_case, make_case_type, make_handler
from workflows.services import case_record_action, case_record_category

MARK = "MARKER-7f3a"
FILED = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


@pytest.mark.slow
def test_a_marker_in_every_case_field_reaches_no_email_notification_or_log(
    db, run_scan, queue, caplog, settings
):
    settings.SPEAKUP_NOTIFY_NAMES_CASE_TYPE = False
    team = Group.objects.create(name="Triage")
    lead = User.objects.create_user("lead", email="lead@example.org")
    lead.groups.add(Group.objects.get_or_create(name="Triage lead")[0], team)
    contact = User.objects.create_user("contact", email="contact@example.org")
    case_type = make_case_type(name=f"Type {MARK}", description=MARK, triage_team=team)
    ReminderPolicy.objects.create(
        case_type=case_type, escalation_contact=contact, escalate_contact_after_days=1
    )
    category = Category.objects.create(case_type=case_type, slug="c", name=f"Cat {MARK}")
    unit = OrganisationalUnit.objects.create(slug="u", name=f"Unit {MARK}")
    with time_machine.travel(FILED, tick=False):
        case = make_case(
            case_type=case_type,
            answers={"what_happened": MARK, "who": f"subject {MARK}"},
            reporter_contact=f"reporter {MARK}@example.org",
            org_unit=unit,
        )
        handler = make_handler(case, "handler")
        handler.email = "handler@example.org"
        handler.save(update_fields=["email"])
        digest_person = make_handler(case, "digester")
        digest_person.email = "digest@example.org"
        digest_person.save(update_fields=["email"])
        EmailPreference.objects.create(user=digest_person, email=EmailChoice.DIGEST)
        case_record_category(case=case, actor=handler, category=category)
        message_add(case=case, kind=MessageKind.FROM_REPORTER, body=f"message {MARK}")
        message_add(case=case, kind=MessageKind.INTERNAL_NOTE, body=f"note {MARK}", author=handler)
        evidence_attach(
            case=case,
            source=io.BytesIO(b"plain text"),
            original_name=f"{MARK}.txt",
            content_type="text/plain",
            added_by=handler,
        )
        case_record_action(
            case=case,
            actor=handler,
            title=f"action {MARK}",
            owner=handler,
            due_on=dt.date(2026, 3, 9),
        )
    # Every level of every reminder, then every e-mail and the digests.
    for day in (dt.date(2026, 3, 5), dt.date(2026, 3, 9), dt.date(2026, 3, 10)):
        run_scan(day)
        moment = dt.datetime.combine(day, dt.time(10, tzinfo=dt.UTC))
        with time_machine.travel(moment, tick=False):
            for pk in queue.reminders:
                reminder_process(pk, queue.emails.append)
            for pk in queue.emails:
                notification_deliver(pk)
        queue.reminders.clear()
        queue.emails.clear()
    run_scan(at=dt.datetime(2026, 3, 11, 8, tzinfo=dt.UTC))  # the digest hour has come
    for pk in queue.digests:
        digest_deliver(pk)

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"deadline_soon", "deadline_today", "deadline_overdue", "escalation"} <= kinds
    assert {"action_soon", "action_today", "action_overdue"} <= kinds
    # The digest reader got one digest a day (Thursday, Monday, Tuesday), each once.
    assert len(queue.digests) == len(set(queue.digests)) == 3
    assert [m.to for m in mail.outbox].count(["digest@example.org"]) == 3
    assert mail.outbox
    # Each whole message as sent (headers, text and HTML parts).
    emails = "\n".join(m.message().as_string() for m in mail.outbox)
    for secret in (MARK, case.reference, str(case.pk), "Type ", "Cat ", "Unit "):
        assert secret not in emails, secret
    rows = "\n".join(repr(row) for row in Notification.objects.values())
    assert MARK not in rows and MARK not in caplog.text
    assert case.reference not in caplog.text


def test_the_case_type_is_named_only_when_configured(overdue_case_type_named, settings):
    settings.SPEAKUP_NOTIFY_NAMES_CASE_TYPE = True
    notification = overdue_case_type_named
    notification_deliver(notification.pk)
    (message,) = mail.outbox
    assert "Case type: Harassment" in message.body
