"""Retention records: each case type's policy, proposals to shorten one, legal holds, and
the deletion record a purge leaves behind.

Policy is data, edited by administrators (``retention/services.py``); nothing here decides.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseType, SealedField


class RetentionPolicy(models.Model):
    """How long a case type's cases are kept after closure.

    ``content_days`` after the case is closed its content is purged (the case row stays as an
    anonymous stub); ``token_days`` after closure the reporter's token stops opening it.
    Both are positive and the token never outlives the content (checked by the database).
    """

    case_type = models.OneToOneField(
        CaseType, on_delete=models.PROTECT, related_name="retention_policy"
    )
    content_days = models.PositiveIntegerField(
        help_text=_("Delete case content this many days after the case is closed.")
    )
    token_days = models.PositiveIntegerField(
        help_text=_("The reporter's token stops opening the case this many days after closure.")
    )
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "retention policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(content_days__gt=0, token_days__gt=0),
                name="retention_periods_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(token_days__lte=models.F("content_days")),
                name="retention_token_not_after_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_days} days after closure"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second administrator")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PolicyChange(models.Model):
    """A change that shortens a policy (or sets a case type's first one): proposed by one
    administrator, made only when a different administrator confirms it. The database
    refuses a confirmation by the proposer."""

    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="+")
    content_days = models.PositiveIntegerField()
    token_days = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("-proposed_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("proposed_by")),
                name="policy_change_confirmed_by_a_second_person",
            ),
            models.CheckConstraint(
                condition=models.Q(content_days__gt=0, token_days__gt=0),
                name="policy_change_periods_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"policy change ({self.get_status_display()})"


class LegalHold(models.Model):
    """A case that must not be purged while the hold lasts (litigation, an inquiry).

    The reason is sealed with the case's key, like any text about the case. Active while
    ``lifted_at`` is empty; reviewed by its ``review_on`` day.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="legal_holds")
    reason = SealedField()
    review_on = models.DateField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True)
    # The review day whose passing the governance leads were told of (once per review day).
    review_reminded_for = models.DateField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("review_on", "id")
        indexes = [models.Index(fields=("case", "lifted_at"), name="legalhold_case_active")]

    def __str__(self) -> str:
        return f"legal hold to review by {self.review_on}"


class DeletionRecord(models.Model):
    """What one purge removed, in counts only: rows per model, files and their bytes.

    One per case (unique), written in the purge's own transaction, so a purge rerun after a
    crash finds it and writes no second one.
    """

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="deletion_record")
    purged_at = models.DateTimeField()
    # {"app_label.model": rows}; labels and numbers only.
    rows = models.JSONField(default=dict)
    files = models.PositiveIntegerField(default=0)
    files_missing = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    data_key_destroyed = models.BooleanField(default=False)
    # The case's audit events, removed ``SPEAKUP_AUDIT_RETENTION_DAYS`` after the purge
    # (retention/events.py): when, and how many.
    audit_events_purged_at = models.DateTimeField(null=True, blank=True)
    audit_events = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-purged_at", "-id")
        indexes = [
            models.Index(
                fields=("purged_at",),
                condition=models.Q(audit_events_purged_at__isnull=True),
                name="deletionrecord_events_kept",
            )
        ]

    def __str__(self) -> str:
        return f"deletion record {self.pk}"
