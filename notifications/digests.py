"""The daily digest: once a day, from ``SPEAKUP_DIGEST_HOUR``, one e-mail per person who
chose it and has notifications waiting. Claimed like reminders: one ``Digest`` row per person
and day (unique), inserted ignoring conflicts, so the scan may try every few minutes and a
day's digest still goes once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from notifications.models import Delivery, Digest, Notification


def digests_claim(now: dt.datetime) -> list[int]:
    """From the digest hour on: claim today's digest for everyone with notifications waiting
    for one, attach those notifications to it, and return the new digests' ids. Called by the
    scan inside its transaction."""
    local = timezone.localtime(now)
    if local.hour < settings.SPEAKUP_DIGEST_HOUR:
        return []
    day = local.date()
    waiting = Notification.objects.filter(delivery=Delivery.DIGEST, digest__isnull=True)
    people = set(waiting.values_list("recipient_id", flat=True))
    if not people:
        return []
    Digest.objects.bulk_create(
        [Digest(recipient_id=pk, day=day) for pk in people], ignore_conflicts=True
    )
    todays = Digest.objects.filter(
        day=day, recipient=OuterRef("recipient_id"), delivery=Delivery.PENDING
    )
    # Attach every waiting notification to its person's digest of today, in one statement.
    waiting.update(digest=Subquery(todays.values("pk")[:1]))
    return list(
        Digest.objects.filter(day=day, delivery=Delivery.PENDING, claimed_at__isnull=True)
        .filter(recipient_id__in=people)
        .values_list("pk", flat=True)
    )
