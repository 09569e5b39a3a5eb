"""Notifications, the reminder claims behind them, and who wants e-mail how.

A ``Notification`` is both the workspace entry a person sees and the outbox row of its
e-mail: ``notifications.services.notify`` writes it in the caller's transaction and never
talks to the broker; the periodic scan hands pending rows to a task, which claims the row
with a conditional update before it sends (docs/decisions/0019-reminders-and-notifications.md).

A ``Reminder`` is the claim of one reminder (a clock or an action, a level, the due day it
was for), unique in the database, so two scans or a scan after days of outage can never
send the same reminder twice. No row here holds case content: kinds, ids, days and states.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Action, Case, CaseType
from workflows.models import Clock


class Delivery(models.TextChoices):
    """Where a notification's e-mail stands (the outbox states)."""

    NONE = "none", _("No e-mail (no address or not active)")
    PENDING = "pending", _("Waiting to be sent")
    DIGEST = "digest", _("Waiting for the daily digest")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")


class Notification(models.Model):
    """One thing one person should look at: a workspace entry and its e-mail's outbox row."""

    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # One of ``notifications.kinds.KINDS``: says which wording, never what the case holds.
    kind = models.CharField(max_length=32)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # The e-mail: outbox state, tries, when the next try may start, when a task last took it.
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Why it failed or was not sent: a short code (``smtp``, ``interrupted``, ``no_access``).
    outcome = models.CharField(max_length=24, blank=True)
    digest = models.ForeignKey(
        "Digest", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("recipient", "read_at"), name="notification_unread"),
            models.Index(
                fields=("next_attempt_at",),
                name="notification_outbox",
                condition=models.Q(delivery="pending"),
            ),
            models.Index(fields=("delivery", "created_at"), name="notification_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id}"


class StaffNews(models.Model):
    """Something a reporter did (a new report, a reply, a file, a check-in answer) that the
    people who hold the case are still to be told of. It waits for the next of the day's
    fixed rounds (``notifications.services.staff_news_send``): a notification made the
    moment a reporter acts would tell staff the time of day they acted, which the case keeps
    to the day (docs/decisions/0009-reporter-time-of-day.md). One row per case and kind, so a
    reporter's three replies before the round are one notification. Holds a day, no time."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    # One of ``notifications.kinds.KINDS`` whose audience is the case's holders.
    kind = models.CharField(max_length=32)
    since = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("case", "kind"), name="staff_news_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class Digest(models.Model):
    """One person's daily digest e-mail: claimed once per person and day."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    delivery = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("recipient", "day"), name="one_digest_per_day")
        ]

    def __str__(self) -> str:
        return f"digest {self.day} for user {self.recipient_id}"


class EmailChoice(models.TextChoices):
    IMMEDIATE = "immediate", _("Straight away, one e-mail each time")
    DIGEST = "digest", _("Once a day, in one e-mail")


class EmailPreference(models.Model):
    """How a member of staff wants to hear by e-mail; without a row, straight away."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    email = models.CharField(max_length=12, choices=EmailChoice.choices)

    def __str__(self) -> str:
        return f"{self.email} for user {self.user_id}"


# --- Reminders -------------------------------------------------------------------------------


class ReminderLevel(models.TextChoices):
    """Which reminder: before, on, after the due day, then the two escalations."""

    SOON = "soon", _("Due soon")
    TODAY = "today", _("Due today")
    OVERDUE = "overdue", _("Overdue")
    ESCALATE_LEAD = "escalate_lead", _("Overdue: told the triage lead")
    ESCALATE_CONTACT = "escalate_contact", _("Overdue: told the escalation contact")


class ReminderPolicy(models.Model):
    """When a case type's deadlines and actions are reminded, and to whom they escalate.

    Case types without a row use the defaults of these fields.
    """

    case_type = models.OneToOneField(
        CaseType, on_delete=models.CASCADE, primary_key=True, related_name="reminder_policy"
    )
    soon_working_days = models.PositiveSmallIntegerField(
        default=2,
        help_text=_("Remind this many working days before the due day (0: no early reminder)."),
    )
    on_the_day = models.BooleanField(default=True, help_text=_("Remind on the due day."))
    overdue = models.BooleanField(default=True, help_text=_("Remind once when overdue."))
    escalate_lead_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=3,
        help_text=_(
            "Tell the triage leads of the case type's triage team after this many working "
            "days overdue (empty: never)."
        ),
    )
    escalate_contact_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=10,
        help_text=_(
            "Then tell the escalation contact after this many working days overdue (empty: never)."
        ),
    )
    escalation_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who hears of deadlines long overdue, after the triage lead."),
    )

    class Meta:
        verbose_name_plural = "reminder policies"

    def __str__(self) -> str:
        return f"reminders for case type {self.case_type_id}"


class ReminderState(models.TextChoices):
    CLAIMED = "claimed", _("Claimed, waiting for its task")
    DONE = "done", _("Notified")
    SKIPPED = "skipped", _("Nothing to do")


class Reminder(models.Model):
    """The claim of one reminder. Unique per (clock, level, due day) and per (action, level,
    due day), so whatever runs twice, one row and one set of notifications exist."""

    id = models.BigAutoField(primary_key=True)
    clock = models.ForeignKey(
        Clock, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=16, choices=ReminderLevel.choices)
    # The due day this reminder is about: an extended deadline is reminded again.
    due_on = models.DateField()
    scan = models.ForeignKey("ScanRun", on_delete=models.SET_NULL, null=True, related_name="+")
    state = models.CharField(
        max_length=8, choices=ReminderState.choices, default=ReminderState.CLAIMED
    )
    claimed_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # Why nothing was done: a short code (``closed``, ``purged``, ``stopped``, ``reassigned``).
    outcome = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("clock", "level", "due_on"), name="one_reminder_per_clock_level"
            ),
            models.UniqueConstraint(
                fields=("action", "level", "due_on"), name="one_reminder_per_action_level"
            ),
            models.CheckConstraint(
                condition=models.Q(clock__isnull=False, action__isnull=True)
                | models.Q(clock__isnull=True, action__isnull=False),
                name="reminder_of_a_clock_or_an_action",
            ),
        ]
        indexes = [models.Index(fields=("state", "claimed_at"), name="reminder_state")]

    def __str__(self) -> str:
        return f"{self.level} reminder {self.pk}"


class ScanRun(models.Model):
    """One run of the reminder scan: when, how long, how much it claimed (the health page)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The day the scan took as today (an injected clock in tests shows here).
    today = models.DateField()
    claimed = models.PositiveIntegerField(default=0)
    emails_enqueued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"scan {self.pk} on {self.today}"
