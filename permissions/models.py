"""Per-case grants, conflict-of-interest exclusions, refused access attempts, and the
two-person changes to roles and teams with their audit record.

Grants are django-guardian's direct foreign-key permission tables: rows point at the case
with a real foreign key, so they cascade when a case goes, and lists join an indexed table
instead of guardian's generic (content type, text id) pair. A user grant may end on a date
(external investigators). Model-level case permissions are never used: the access gate
ignores them, and a test checks that nobody holds one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.models import AppendOnlyModel, AppendOnlyQuerySet, Case, SealedField


class CaseUserPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    # The last day the grant works; empty means until revoked.
    expires_on = models.DateField(null=True, blank=True)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=("user", "permission", "content_object"))]


class CaseGroupPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=("group", "permission", "content_object"))]


class ExclusionKind(models.TextChoices):
    NAMED_BY_REPORTER = "named_by_reporter", _("Named by the reporter as not to handle the case")
    SUBJECT = "subject", _("A subject of the report")
    RECUSAL = "recusal", _("Stepped aside (self-recusal)")


class CaseExclusion(models.Model):
    """Someone who must never see or be assigned a case, whatever their role or team.

    Effective from the moment it is recorded (failing closed); a subject match is then
    confirmed by a second person, which is recorded but does not switch it on.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="exclusions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=ExclusionKind.choices)
    # A recusal's reason, sealed with the case's key like any other text about the case.
    reason = SealedField(null=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("case", "user"), name="one_exclusion_per_user"),
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("proposed_by")),
                name="exclusion_confirmed_by_a_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}"


class AccessRefusal(AppendOnlyModel):
    """A staff request for a case that the gate refused. No content, no client details.

    ``case_id`` is not a foreign key: the id asked for may not exist, and a refusal must be
    recorded whether or not it does (and survive the request failing).

    Part of the audit record, so append-only like ``CaseEvent``: this class refuses to save
    an existing row or delete one, its queryset refuses bulk changes, database triggers
    refuse UPDATE, DELETE, TRUNCATE and SQLite's INSERT OR REPLACE (migration 0003), and on
    PostgreSQL the application's role may only insert and read. The refusals form one chain
    (``seq``, ``mac``; see ``cases/audit.py``). Written only by ``permissions.access``.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    case_id = models.UUIDField(null=True)
    action = models.CharField(max_length=32)
    at = models.DateTimeField()
    # The refusal's place in the refusals' chain (from 1) and its link.
    seq = models.PositiveBigIntegerField(unique=True)
    mac = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=("actor", "at"))]

    def __str__(self) -> str:
        return f"refused {self.action}"


# --- Who holds which role: changed only by two people -----------------------------------------


class ChangeKind(models.TextChoices):
    ROLE_GRANT = "role_grant", _("Give a role")
    ROLE_REMOVE = "role_remove", _("Take a role away")
    TEAM_JOIN = "team_join", _("Add to a team")
    TEAM_LEAVE = "team_leave", _("Remove from a team")
    TRIAGE_TEAM_SET = "triage_team_set", _("Change which team triages a case type")
    ACCOUNT_REACTIVATE = "account_reactivate", _("Switch a disabled account back on")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Reset a person's second factor")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second person")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AccessChange(models.Model):
    """A change to who may reach case content, proposed by one administrator and taking effect
    only when a different administrator confirms it (``permissions.services``).

    The database refuses a confirmation by the proposer or by the person the change is about,
    whatever code path tries it.
    """

    kind = models.CharField(max_length=24, choices=ChangeKind.choices)
    status = models.CharField(
        max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    # What changes: a person's role or team, or a case type's triage team.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    role = models.CharField(max_length=32, blank=True)
    team = models.ForeignKey("auth.Group", on_delete=models.PROTECT, null=True, related_name="+")
    case_type = models.ForeignKey(
        "cases.CaseType", on_delete=models.PROTECT, null=True, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Who confirmed, declined or withdrew it, and when.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("-proposed_at", "-id")
        indexes = [models.Index(fields=("status", "proposed_at"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("proposed_by")),
                name="access_change_confirmed_by_a_second_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("user")),
                name="access_change_not_confirmed_by_its_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(status="confirmed", confirmed_by__isnull=False)
                | (~models.Q(status="confirmed") & models.Q(confirmed_by__isnull=True)),
                name="access_change_confirmed_has_a_confirmer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class StaffEvent(AppendOnlyModel):
    """The audit record of staff accounts and access: role and team changes at every step,
    accounts made and disabled, second factors enrolled, replaced and reset, single sign-on
    links, repeated sign-in failures. Case events live in ``cases.CaseEvent``; these are
    about people, not a case.

    Append-only like ``CaseEvent``: the model and its queryset refuse changes and deletes, and
    database triggers refuse UPDATE (and DELETE on PostgreSQL). Written only by
    ``permissions.audit.staff_event_record``; no client address or user agent, ever.
    """

    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The person the event is about (may be the actor).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    change = models.ForeignKey(AccessChange, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    # The event's place in the staff events' chain (from 1) and its link (cases/audit.py).
    seq = models.PositiveBigIntegerField(unique=True, null=True)
    mac = models.CharField(max_length=64, default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=("user", "id"), name="staffevent_user_id")]

    def __str__(self) -> str:
        return f"{self.code} #{self.pk}"


# --- Settings: every change recorded, a weakening one made by two people ---------------------


class SettingsStatus(models.TextChoices):
    MADE = "made", _("Made")
    PENDING = "pending", _("Waiting for a second administrator")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SettingsChange(models.Model):
    """One change an administrator made (or proposed) on the settings pages: what it is about
    (``subject``, a registered kind of setting, and ``target_id``, its row), the values before
    and after, and who made, proposed, confirmed, declined or withdrew it
    (``permissions/settings_changes.py``).

    A change that does not weaken protection is made at once (``made``); one that does waits
    for a different administrator (``pending``), and the database refuses a confirmation by
    the proposer. ``before`` and ``after`` hold setting values only (names, numbers, texts the
    organisation shows reporters): never a case, a reporter or a credential. They are written
    once, with the row; the staff event of each step carries a digest of both, so the chain of
    staff events vouches for them.
    """

    subject = models.CharField(max_length=32)
    target_id = models.PositiveIntegerField(null=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=SettingsStatus.choices)
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
        indexes = [models.Index(fields=("status", "proposed_at"), name="settingschange_status")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("proposed_by")),
                name="settings_change_confirmed_by_a_second_person",
            ),
            models.CheckConstraint(
                condition=models.Q(status="confirmed", confirmed_by__isnull=False)
                | (~models.Q(status="confirmed") & models.Q(confirmed_by__isnull=True)),
                name="settings_change_confirmed_has_a_confirmer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} change ({self.get_status_display()})"
