"""Case records: the case at the centre, everything else hanging off it.

There is no person record for reporters. Free text typed by anyone about a case is stored
only as ciphertext in a ``SealedField`` (see ``cases/crypto.py``), and reporter-originated
times are stored to the day. Writes go through ``cases/services.py``; these classes hold
fields and the rules that belong to a row, nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from cases.exceptions import AuditRecordImmutable, HistoryBypassError
from cases.history import history_records


class SealedField(models.BinaryField):  # type: ignore[type-arg]
    """A column holding AES-GCM ciphertext made by ``CaseCipher.seal``.

    A marker type: services seal and selectors open values explicitly, because both need the
    case's data key and the row's identity, which a field alone does not know. Tests find every
    encrypted column through this class.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


_M = TypeVar("_M", bound=models.Model)


class HistoryTrackedQuerySet(models.QuerySet[_M]):
    """Refuses the bulk writes that django-simple-history cannot see.

    ``update()``, ``bulk_update()`` and ``bulk_create()`` write rows without a history record,
    so on a tracked model they would leave a change nobody can trace. Save each row instead.
    """

    def update(self, **kwargs: Any) -> int:
        raise HistoryBypassError()

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise HistoryBypassError()

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[_M]:
        raise HistoryBypassError()


# --- Configuration (edited by administrators; history kept) ---------------------------------


# Which process a case type follows: the workflows that ``workflows/registry.py`` registers
# from ``workflows/machines/``. Kept here as a list that the registry fills, so that this
# module depends on no workflow and a new workflow needs no migration.
_WORKFLOW_CHOICES: dict[str, Any] = {}


def workflow_choices_register(key: str, label: Any) -> None:
    _WORKFLOW_CHOICES[key] = label


def workflow_choices_remove(key: str) -> None:
    _WORKFLOW_CHOICES.pop(key, None)


def workflow_choices() -> list[tuple[str, Any]]:
    return list(_WORKFLOW_CHOICES.items())


# Rules that apps built on this one hold a case type's settings to (retention: the check-in
# must come while the reporter's token still works), checked by ``CaseType.clean`` and so by
# every form that edits a case type. Each raises ``ValidationError``.
_CASE_TYPE_RULES: list[Callable[[CaseType], None]] = []


def case_type_rule_register(rule: Callable[[CaseType], None]) -> None:
    if rule not in _CASE_TYPE_RULES:
        _CASE_TYPE_RULES.append(rule)


class ReportingLevel(models.TextChoices):
    """How much of who they are a reporter gives (docs/decisions/0031-confidential-reporting.md):
    nothing; their name in confidence, sealed apart and shown only to the confidential contact
    until they agree or the contact reveals it; or their name openly, with the report."""

    ANONYMOUS = "anonymous", _("Anonymous")
    CONFIDENTIAL = "confidential", _("Confidential")
    NAMED = "named", _("Named")


class ReportingLevels(models.TextChoices):
    """Which reporting levels a case type offers. ``anonymous_named`` is what every case type
    offered before confidential reporting (migration cases/0017 keeps it for them)."""

    ANONYMOUS = "anonymous", _("Anonymous only")
    ANONYMOUS_NAMED = "anonymous_named", _("Anonymous or named")
    ANONYMOUS_CONFIDENTIAL = "anonymous_confidential", _("Anonymous or confidential")
    ALL = "all", _("Anonymous, confidential or named")


LEVELS_OFFERED: dict[str, tuple[ReportingLevel, ...]] = {
    ReportingLevels.ANONYMOUS: (ReportingLevel.ANONYMOUS,),
    ReportingLevels.ANONYMOUS_NAMED: (ReportingLevel.ANONYMOUS, ReportingLevel.NAMED),
    ReportingLevels.ANONYMOUS_CONFIDENTIAL: (ReportingLevel.ANONYMOUS, ReportingLevel.CONFIDENTIAL),
    ReportingLevels.ALL: (
        ReportingLevel.ANONYMOUS,
        ReportingLevel.CONFIDENTIAL,
        ReportingLevel.NAMED,
    ),
}


class CaseType(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(
        blank=True, help_text=_("Shown to reporters: what this kind of report is for.")
    )
    # Welsh versions, shown on the Welsh reporter pages (/cy/); empty, the English is shown,
    # marked as English (docs/decisions/0025-welsh.md).
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)
    description_cy = models.TextField(_("description in Welsh"), blank=True)
    workflow = models.CharField(max_length=32, choices=workflow_choices)
    # Superseded by ``reporting_levels`` (migration cases/0017 read it to set that field) and
    # read by nothing since; kept (not editable) because no migration here drops a column.
    allows_named_reports = models.BooleanField(default=True, editable=False)
    # Whether a reporter may stay anonymous, give their name in confidence, or give it openly
    # (docs/decisions/0031-confidential-reporting.md). A database default too, so migration
    # cases/0017 adds the column in place and case types made before it keep what they had.
    reporting_levels = models.CharField(
        max_length=24,
        choices=ReportingLevels.choices,
        default=ReportingLevels.ANONYMOUS_NAMED,
        db_default=ReportingLevels.ANONYMOUS_NAMED,
        help_text=_(
            "Whether reporters may stay anonymous, give their name in confidence (seen only by "
            "the confidential contact) or give it openly."
        ),
    )
    acknowledge_within_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Acknowledge receipt within this many days.")
    )
    feedback_within_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Give feedback within this many days of acknowledging.")
    )
    # The EU Directive's "three months" are calendar months; when set, this wins over days.
    feedback_within_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Give feedback within this many calendar months of acknowledging."),
    )
    stage_limits = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Time limits per stage, each with its own calendar, e.g. "
            '{"initial_assessment": {"days": 10, "working": true}}.'
        ),
    )
    deadlines_in_working_days = models.BooleanField(
        default=False, help_text=_("Count deadlines in working days (bank holidays excluded).")
    )
    # Superseded: how long its cases are kept is a retention policy
    # (retention.models.RetentionPolicy), changed only on the retention page, by two
    # administrators when it shortens. Copied there by migration retention/0002 and read by
    # nothing since; kept (not editable) because no migration here drops a column.
    retention_days = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The reporter's check-in after closure (docs/decisions/0020-reporter-check-in.md): how
    # many weeks after a case closes its follow-up page asks whether anyone has treated the
    # reporter worse since; empty, never. A "yes" reopens attention on the case, or opens a
    # new case of this type linked from the closed one.
    checkin_after_weeks = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Ask the reporter this many weeks after closure whether anyone has treated them "
            "worse since reporting. Leave empty to never ask."
        ),
    )
    checkin_yes_opens_case = models.BooleanField(
        default=False,
        help_text=_(
            "When the reporter answers yes, open a new case of this type instead of marking "
            "the closed case as needing attention."
        ),
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Who triages new cases of this type, and the team handlers are usually drawn from.
    triage_team = models.ForeignKey(
        "auth.Group", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("position", "name")

    def __str__(self) -> str:
        return self.name

    @property
    def levels(self) -> tuple[ReportingLevel, ...]:
        """The reporting levels its reporters may choose from, anonymous first."""
        return LEVELS_OFFERED.get(self.reporting_levels, (ReportingLevel.ANONYMOUS,))

    def allows(self, level: str) -> bool:
        return level in self.levels

    def clean(self) -> None:
        super().clean()
        for rule in _CASE_TYPE_RULES:
            rule(self)


class Category(models.Model):
    """A category of concern within one case type, recorded without personal data."""

    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="categories")
    slug = models.SlugField()
    name = models.CharField(max_length=120)
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)
    is_active = models.BooleanField(default=True)

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        verbose_name_plural = "categories"
        ordering = ("case_type", "name")
        constraints = [
            models.UniqueConstraint(fields=("case_type", "slug"), name="category_slug_per_type")
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationalUnit(models.Model):
    """Where a concern arose (directorate, site, team): reporting groups by it."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)
    # Units form a tree (a site within a directorate); reports group by the unit recorded.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


# How a case ended: administrator-managed per case type (docs/decisions/0032-outcomes-and-
# appeal-decision-makers.md). Migration cases/0020 made these for every case type that existed
# then, the settings page offers them to a new one, and the test builders give them to theirs.
# (code, label, counts as substantiated)
DEFAULT_OUTCOMES: tuple[tuple[str, str, bool], ...] = (
    ("substantiated", "Substantiated", True),
    ("partly_substantiated", "Partly substantiated", True),
    ("not_substantiated", "Not substantiated", False),
    ("resolved_informally", "Resolved informally", False),
    ("no_further_action", "No further action", False),
    ("appeal_upheld", "Appeal upheld", False),
    ("appeal_dismissed", "Appeal dismissed", False),
)


class OutcomeCode(models.Model):
    """An outcome a case of one case type can end with, recorded without personal data so
    that reports can count it. ``Case.outcome`` holds the code, never a key to this row: a
    code is never deleted or renamed, only relabelled or retired (no longer offered; cases
    that have it keep it, and reports still name and count it)."""

    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="outcomes")
    code = models.SlugField(max_length=32)
    label = models.CharField(max_length=120)
    # Counted as "substantiated" in the reports (the concern was found to be true, in whole or
    # in part).
    substantiated = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("case_type", "position", "label")
        constraints = [
            models.UniqueConstraint(fields=("case_type", "code"), name="outcome_code_per_type")
        ]

    def __str__(self) -> str:
        return self.label


# --- The case and what hangs off it ---------------------------------------------------------

# Kept so that workflows/ can connect the proxy models' saves to the same history table:
# Django sends post_save with the proxy class as sender, which simple-history ignores.
# ``next_due`` is not the case's history: it follows the clocks, whose own history is kept.
CASE_HISTORY = history_records(excluded_fields=["token_digest", "next_due"])


class Channel(models.TextChoices):
    """How a report reached the organisation: the form, or another channel through which a
    triage lead recorded it on the reporter's behalf (``intake.on_behalf``)."""

    WEB = "web", _("Online form")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    POST = "post", _("Post")


class CheckinAnswer(models.TextChoices):
    """The reporter's answer to the check-in after closure: has anyone treated them worse?"""

    YES = "yes", _("Yes")
    NO = "no", _("No")
    PREFER_NOT = "prefer_not", _("I prefer not to say")


class Case(FSMModelMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Random, for staff to quote; it reveals nothing about how many cases exist or their order.
    reference = models.CharField(max_length=9, unique=True, editable=False)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    org_unit = models.ForeignKey(
        OrganisationalUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    # Moved only by the transitions of the case type's workflow (workflows/machines.py).
    state = FSMField(default="received", protected=True, db_index=True)
    # Reporter-originated: the day only, never the time.
    received_on = models.DateField()
    # A database default too, so rows written in SQL (the bench, data migrations) are "web".
    channel = models.CharField(
        max_length=16, choices=Channel.choices, default=Channel.WEB, db_default=Channel.WEB
    )
    closed_on = models.DateField(null=True, blank=True)
    # Set only when retention cuts the dates above to their months (the anonymous stub), so
    # that reports of time to close come out the same before and after the purge.
    days_to_close = models.PositiveIntegerField(null=True, blank=True, editable=False)
    reporter_named = models.BooleanField(default=False)
    # Recorded by the steps that need them (workflows/machines/); no personal data.
    # An ``OutcomeCode.code`` of the case's type (administrator-managed data); stays a code
    # so the retention stub, the rollups and the reports keep it when the code is retired.
    outcome = models.CharField(max_length=32, blank=True)
    mediation_consented_on = models.DateField(null=True, blank=True)
    police_referred_on = models.DateField(null=True, blank=True)
    # The reporter's check-in after closure, answered once; its day only. These stay on the
    # case row, which retention keeps as an anonymous stub, so reports can count the cases
    # reopened by it after their content is gone.
    checkin_answer = models.CharField(max_length=16, choices=CheckinAnswer.choices, blank=True)
    checkin_answered_on = models.DateField(null=True, blank=True)
    reopened_by_checkin_on = models.DateField(null=True, blank=True)
    # Set by a "yes" (when the case type does not open a new case); cleared by a handler who
    # has dealt with it. The workflow state stays closed: attention is not a stage.
    attention_since = models.DateField(null=True, blank=True, db_index=True)
    # The new case a "yes" opened. The link is kept on the closed case only, so the new case
    # says nothing about which case or reporter came before (those working it see none of it).
    checkin_case = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Sealed JSON of the reporter's answers, and their optional contact details.
    answers = SealedField()
    reporter_contact = SealedField(null=True)
    # The answers with identifying details taken out, for external investigators.
    redacted_answers = SealedField(null=True)
    # HMAC-SHA256 of the case token under the pepper; the token itself is never stored.
    # Empty only on a purged case's stub, which no token opens (retention/purge.py).
    token_digest = models.BinaryField(max_length=32, unique=True, null=True, editable=False)
    # The earliest due day of the case's running clocks (none running: empty), for the case
    # list's deadline column, sort and filters without a subquery per case. Kept by database
    # triggers on ``workflows_clock`` (migration workflows 0007, decision 0006), so every
    # write of a clock moves it in the same transaction, whatever makes it; the application
    # never sets it (a new case has no clock yet, and no save of a case names it).
    next_due = models.DateField(null=True, blank=True, editable=False)

    objects = HistoryTrackedQuerySet.as_manager()
    history = CASE_HISTORY

    class Meta:
        indexes = [
            models.Index(fields=("case_type", "state"), name="case_type_state"),
            # The retention purge's due query (retention.selectors.cases_due_rows): closed
            # cases that are not stubs and not waiting on the check-in's attention, so a
            # batch never walks every case purged before it.
            models.Index(
                fields=("closed_on",),
                condition=models.Q(
                    token_digest__isnull=False,
                    closed_on__isnull=False,
                    attention_since__isnull=True,
                ),
                name="case_live_closed_on",
            ),
        ]
        # Object permissions only (permissions/access.py); never granted model-wide.
        permissions = [
            ("view_reporter_contact", "Can see the reporter's contact details"),
            ("decide_appeal", "Can decide the case's appeal (and take no other step)"),
        ]

    def __str__(self) -> str:
        return self.reference


class DataKey(models.Model):
    """A case's data key, wrapped by a master key. Deleting it shreds the case's content.

    Deliberately without history: a historical copy would defeat crypto-shredding.
    """

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="data_key"
    )
    master_key_id = models.CharField(max_length=16, db_index=True)
    wrapped = models.BinaryField()

    def __str__(self) -> str:
        return f"data key ({self.master_key_id})"


class MessageKind(models.TextChoices):
    TO_REPORTER = "to_reporter", _("Message to the reporter")
    FROM_REPORTER = "from_reporter", _("Message from the reporter")
    INTERNAL_NOTE = "internal_note", _("Internal note")


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    # Order within the case, given under the case's row lock; times alone cannot order them
    # because the reporter's are stored to the day.
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = SealedField()
    created_at = models.DateTimeField()

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("case", "position")
        constraints = [
            models.UniqueConstraint(fields=("case", "position"), name="message_position_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position}"


class Evidence(models.Model):
    """An evidence file: ciphertext on disk under a random name, details sealed here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    # Random; the reporter's file name never reaches a storage path.
    stored_name = models.CharField(max_length=64, unique=True, editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    original_name = SealedField()
    from_reporter = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ("case", "created_at")

    def __str__(self) -> str:
        return f"evidence {self.stored_name[:8]}"


class Action(models.Model):
    """A task on a case with an owner and a due date; the reminder scan reads these."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    title = SealedField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("case", "due_on", "created_at")
        indexes = [
            models.Index(
                fields=("due_on",),
                name="action_open_due",
                condition=models.Q(completed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"action due {self.due_on or 'undated'}"


class SharedItem(models.Model):
    """A message, internal note or evidence file a handler shares with the case's external
    investigators (docs/decisions/0024-investigator-sharing.md): they see only what is
    shared, besides their own notes. ``redacted`` is the copy they are shown instead, when the
    handler gave one: a message's text or a file's name with identifying details taken out,
    sealed under the case's key like the original. Unsharing deletes the row (its history,
    sealed too, goes with the case's content at the retention purge)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shared_items")
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="share"
    )
    evidence = models.OneToOneField(
        Evidence, on_delete=models.CASCADE, null=True, blank=True, related_name="share"
    )
    redacted = SealedField(null=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField()

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        constraints = [
            # Exactly one thing is shared by each row.
            models.CheckConstraint(
                condition=models.Q(message__isnull=False, evidence__isnull=True)
                | models.Q(message__isnull=True, evidence__isnull=False),
                name="shareditem_one_item",
            )
        ]

    def __str__(self) -> str:
        return f"shared {'message' if self.message_id else 'evidence'}"


class LinkKind(models.TextChoices):
    """What two linked cases share (docs/decisions/0033-linked-cases.md)."""

    SAME_PERSON = "same_person", _("Same person")
    SAME_TEAM = "same_team", _("Same team")
    SAME_PATTERN = "same_pattern", _("Same pattern")
    OTHER = "other", _("Other")


class CaseLink(models.Model):
    """One side of a link between two cases that concern the same person, team or pattern
    (docs/decisions/0033-linked-cases.md). A link is two rows, one from each case, written and
    removed together (``cases/links.py``), so each case's page reads its links by its own key
    and each row's ``note`` is sealed under its own ``case``'s key, like every note on it.
    Who sees a link is the gate's answer about ``other`` (``permissions/links.py``). Removed
    with either case's content at the retention purge (it points at both)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    note = SealedField(null=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField()

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("case", "linked_at")
        constraints = [
            models.UniqueConstraint(fields=("case", "other"), name="caselink_once"),
            models.CheckConstraint(
                condition=~models.Q(case=models.F("other")), name="caselink_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"link ({self.kind})"


class ReporterIdentity(models.Model):
    """A confidential reporter's name and any contact details they gave, sealed apart from the
    report (docs/decisions/0031-confidential-reporting.md). Only the confidential contact
    (``permissions.predicates.may_see_identity``) is shown it, through its own selectors; those
    working the case see it once the reporter agrees on their follow-up page
    (``consented_on``, their day only) or the contact reveals it with a reason (sealed, like
    the identity, under the case's key). Purged with the case's content."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="reporter_identity"
    )
    # Sealed JSON: {"name": ..., "contact": ...}.
    identity = SealedField()
    consented_on = models.DateField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reveal_reason = SealedField(null=True)

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        verbose_name_plural = "reporter identities"

    def __str__(self) -> str:
        return "reporter identity"

    @property
    def shared(self) -> bool:
        """Whether those working the case may now see it: the reporter agreed, or the
        confidential contact revealed it."""
        return self.consented_on is not None or self.revealed_at is not None


class NewsDelivery(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (no e-mail address, or the case is gone)")


class ReporterNews(models.Model):
    """The outbox row of one "there is news on your report" e-mail to a reporter who gave an
    e-mail address (``cases/news.py``). Written by staff actions (a message to the reporter, a
    stage change they see), so its times are staff times; it holds no address and no content:
    the address is opened from the sealed contact details only while sending."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    delivery = models.CharField(
        max_length=8, choices=NewsDelivery.choices, default=NewsDelivery.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Why it failed or was not sent: a short code (``smtp``, ``no_address``, ``purged``).
    outcome = models.CharField(max_length=24, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=("next_attempt_at",),
                name="reporter_news_outbox",
                condition=models.Q(delivery="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"reporter news {self.pk} ({self.delivery})"


# --- The audit record -----------------------------------------------------------------------


class AppendOnlyQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs: Any) -> int:
        raise AuditRecordImmutable()

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditRecordImmutable()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditRecordImmutable()


class AppendOnlyModel(models.Model):
    """A row of an audit record: inserted once, never saved again or deleted (through the
    model; its ``AppendOnlyQuerySet`` and database triggers refuse the bulk paths)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditRecordImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditRecordImmutable()


class CaseEvent(AppendOnlyModel):
    """One row per change and per view of a case: who, what (a code), when, no content.

    Append-only three times over: this class refuses to save an existing row or delete one,
    its queryset refuses bulk changes, and database triggers refuse UPDATE, DELETE, TRUNCATE
    and SQLite's INSERT OR REPLACE (migrations 0002 and 0007); on PostgreSQL the application's
    role may not update, delete or truncate the table at all. ``actor`` is the staff user;
    ``None`` means the reporter or the system, which the code tells apart. Written only by
    ``cases.audit`` (``event_record``, and ``events_record_many`` for batch work).

    Each case's events form a chain: ``seq`` counts from 1 and ``mac`` is the HMAC of the
    event and the link before it, so ``cases.audit.audit_verify`` finds any change, removal,
    insertion or reordering (docs/decisions/0015-audit-integrity.md).
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: ``caseevent_case_id`` and ``caseevent_one_event_per_seq`` both
    # begin with it (migration 0023).
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    code = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    # The event's place in its case's chain (from 1) and its link (cases/audit.py).
    seq = models.PositiveBigIntegerField()
    mac = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ("case", "id")
        indexes = [models.Index(fields=("case", "id"), name="caseevent_case_id")]
        constraints = [
            models.UniqueConstraint(fields=("case", "seq"), name="caseevent_one_event_per_seq")
        ]

    def __str__(self) -> str:
        return f"{self.code} #{self.pk}"


class AuditHead(models.Model):
    """The newest link of one audit chain: a case's events (``case:<id>``) or the refusals.

    Appending locks this row, so two events recorded at once never take the same place; and
    it remembers where the chain ends, so removing its newest links is found too. Updated
    only by ``cases.audit`` (``chain_append``, ``chains_mark_purged``); never deleted (on
    PostgreSQL the application's role may not). When retention removes a case's events, this
    row is what stays: the place and link the chain had reached
    (docs/decisions/0015-audit-integrity.md).
    """

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    mac = models.CharField(max_length=64, default="")
    # Retention removed the chain's links up to this place (0: none), the last of which had
    # ``purged_mac``; ``purged_seal`` (an HMAC under the audit key) shows that the removal was
    # the application's purge, not someone hiding rows (cases.audit.chains_mark_purged).
    purged_through = models.PositiveBigIntegerField(default=0)
    purged_mac = models.CharField(max_length=64, default="")
    purged_seal = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"{self.chain} at {self.seq}"


class AuditVerification(models.Model):
    """One row per run of ``audit_verify``: when, what it covered and whether all held.

    Sealed with the audit key like the chains, so a forged "all is well" row is itself
    found. Counts and identifiers only; ``summary`` names the first problem.
    """

    at = models.DateTimeField()
    ok = models.BooleanField()
    chains = models.PositiveIntegerField()
    # The sum of every chain's length: it never goes down, even once retention removes
    # events (their heads keep counting), so a smaller total means links were taken away.
    links = models.PositiveBigIntegerField()
    problems = models.PositiveIntegerField()
    summary = models.CharField(max_length=200, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"audit verified {'ok' if self.ok else 'with problems'} at {self.at}"
