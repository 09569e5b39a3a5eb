"""The daily digest: one e-mail a day for those who chose it, counting what waits."""

import datetime as dt

import pytest
from django.core import mail

from notifications.delivery import digest_deliver
from notifications.kinds import CASE_NEWS, DEADLINE_OVERDUE
from notifications.models import Delivery, Digest, EmailChoice, EmailPreference, Notification
from notifications.services import notify

EARLY = dt.datetime(2026, 3, 10, 6, 30, tzinfo=dt.UTC)  # before the digest hour (07:00)
LATER = dt.datetime(2026, 3, 10, 7, 5, tzinfo=dt.UTC)


@pytest.mark.slow
def test_one_digest_a_day_counting_what_waits(cast, run_scan, queue):
    person = cast.assigned_handler
    person.email = "handler@example.org"
    person.save(update_fields=["email"])
    EmailPreference.objects.create(user=person, email=EmailChoice.DIGEST)
    notify([person], CASE_NEWS, cast.case)
    notify([person], DEADLINE_OVERDUE, cast.case)
    run_scan(at=EARLY)
    assert queue.digests == [] and queue.emails == []  # not yet, and never one by one
    run_scan(at=LATER)
    run_scan(at=LATER + dt.timedelta(minutes=5))
    (digest,) = Digest.objects.all()
    assert queue.digests[0] == digest.pk
    assert digest_deliver(digest.pk).status == "sent"
    assert digest_deliver(digest.pk).status == "already"
    (message,) = mail.outbox
    assert message.subject == "Things need your attention in Speak Up"
    assert "2 things need your attention" in message.body
    assert set(Notification.objects.values_list("delivery", flat=True)) == {Delivery.SENT}
    # Something new the same afternoon waits for tomorrow's digest.
    notify([person], CASE_NEWS, cast.case)
    run_scan(at=LATER + dt.timedelta(hours=6))
    assert Digest.objects.count() == 1
    run_scan(at=LATER + dt.timedelta(days=1))
    assert Digest.objects.count() == 2
