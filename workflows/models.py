"""One state machine per case type, as django-fsm transitions on a proxy of ``Case``.

All cases share one table; each workflow is a proxy model with its own transitions, so a
whistleblowing case cannot take a bullying step. A transition here only moves the state and
sets the fields that belong to the move; ``workflows/services.py`` does the rest (lock,
check, save, audit). Role guards, required data and statutory clocks come with the
workflows issue; ``transition_table`` reads the machines back for tests and diagrams.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition
from simple_history.models import HistoricalRecords

from cases.models import Case, HistoryTrackedQuerySet, SealedField, Workflow


class WhistleblowingCase(Case):
    """EU Directive 2019/1937: acknowledge within 7 days, feedback within 3 months."""

    STATES = {
        "received": _("Received"),
        "acknowledged": _("Acknowledged"),
        "assessment": _("Being assessed"),
        "investigation": _("Under investigation"),
        "outcome": _("Outcome reached"),
        "closed": _("Closed"),
        "not_in_scope": _("Not in scope"),
        "referred": _("Referred to an external authority"),
        "withdrawn": _("Withdrawn"),
    }

    class Meta:
        proxy = True

    @transition(field="state", source="received", target="acknowledged")
    def acknowledge(self) -> None:
        pass

    @transition(field="state", source="acknowledged", target="assessment")
    def begin_assessment(self) -> None:
        pass

    @transition(field="state", source="assessment", target="investigation")
    def open_investigation(self) -> None:
        pass

    @transition(field="state", source=["assessment", "investigation"], target="outcome")
    def record_outcome(self) -> None:
        pass

    @transition(
        field="state", source=["received", "acknowledged", "assessment"], target="not_in_scope"
    )
    def mark_not_in_scope(self) -> None:
        self.closed_on = timezone.localdate()

    @transition(
        field="state", source=["acknowledged", "assessment", "investigation"], target="referred"
    )
    def refer_externally(self) -> None:
        self.closed_on = timezone.localdate()

    @transition(
        field="state",
        source=["received", "acknowledged", "assessment", "investigation"],
        target="withdrawn",
    )
    def withdraw(self) -> None:
        self.closed_on = timezone.localdate()

    @transition(field="state", source="outcome", target="closed")
    def close(self) -> None:
        self.closed_on = timezone.localdate()

    @transition(
        field="state",
        source=["closed", "not_in_scope", "referred", "withdrawn"],
        target="assessment",
    )
    def reopen(self) -> None:
        self.closed_on = None


class BullyingCase(Case):
    """Bullying, harassment and discrimination: one process, from initial assessment to appeal."""

    STATES = {
        "received": _("Received"),
        "initial_assessment": _("Initial assessment"),
        "informal_resolution": _("Informal resolution"),
        "mediation": _("Mediation"),
        "formal_investigation": _("Formal investigation"),
        "decision": _("Decision made"),
        "appeal": _("Under appeal"),
        "closed": _("Closed"),
        "withdrawn": _("Withdrawn"),
    }

    class Meta:
        proxy = True

    @transition(field="state", source="received", target="initial_assessment")
    def begin_initial_assessment(self) -> None:
        pass

    @transition(field="state", source="initial_assessment", target="informal_resolution")
    def resolve_informally(self) -> None:
        pass

    @transition(field="state", source="initial_assessment", target="mediation")
    def begin_mediation(self) -> None:
        pass

    @transition(
        field="state",
        source=["initial_assessment", "informal_resolution", "mediation"],
        target="formal_investigation",
    )
    def open_formal_investigation(self) -> None:
        pass

    @transition(field="state", source="formal_investigation", target="decision")
    def record_decision(self) -> None:
        pass

    @transition(field="state", source="decision", target="appeal")
    def open_appeal(self) -> None:
        pass

    @transition(field="state", source="appeal", target="closed")
    def decide_appeal(self) -> None:
        self.closed_on = timezone.localdate()

    @transition(
        field="state",
        source=["informal_resolution", "mediation", "decision"],
        target="closed",
    )
    def close(self) -> None:
        self.closed_on = timezone.localdate()

    @transition(
        field="state",
        source=["received", "initial_assessment", "informal_resolution", "mediation"],
        target="withdrawn",
    )
    def withdraw(self) -> None:
        self.closed_on = timezone.localdate()


class TrendOnlyCase(Case):
    """A report for trend mapping only: reviewed and closed, never investigated."""

    STATES = {"received": _("Received"), "reviewed": _("Reviewed"), "closed": _("Closed")}

    class Meta:
        proxy = True

    @transition(field="state", source="received", target="reviewed")
    def review(self) -> None:
        pass

    @transition(field="state", source="reviewed", target="closed")
    def close(self) -> None:
        self.closed_on = timezone.localdate()


WorkflowCase = WhistleblowingCase | BullyingCase | TrendOnlyCase
WORKFLOW_MODELS: dict[str, type[WorkflowCase]] = {
    Workflow.WHISTLEBLOWING: WhistleblowingCase,
    Workflow.BULLYING: BullyingCase,
    Workflow.TREND_ONLY: TrendOnlyCase,
}


@dataclass(frozen=True, order=True)
class TransitionRow:
    name: str
    source: str
    target: str


def transition_table(workflow: str) -> list[TransitionRow]:
    """Every (transition, source, target) of a workflow, read back from django-fsm."""
    model = WORKFLOW_MODELS[workflow]
    rows = {
        TransitionRow(name=t.name, source=str(t.source), target=str(t.target))
        for t in model._meta.get_field("state").get_all_transitions(model)
    }
    return sorted(rows)


# --- Statutory clocks -----------------------------------------------------------------------


class ClockKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge receipt")
    FEEDBACK = "feedback", _("Give feedback")
    STAGE = "stage", _("Finish the stage")


class Clock(models.Model):
    """A deadline the organisation committed to for one case, and whether it was met.

    Started and stopped by steps of the workflow (workflows/clocks.py); paused and extended
    only by an audited action with a reason. ``met`` is the evidence: set when the clock stops.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(max_length=16, choices=ClockKind.choices)
    # For a stage clock, the stage it limits; empty for the others.
    stage = models.CharField(max_length=32, blank=True)
    working_days = models.BooleanField(default=False)
    started_on = models.DateField()
    due_on = models.DateField(db_index=True)
    paused_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    met = models.BooleanField(null=True)
    missed_recorded = models.BooleanField(default=False)
    # The latest pause or extension reason, sealed with the case's key.
    reason = SealedField(null=True)

    objects = HistoryTrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("case", "kind", "stage"), name="one_clock_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.label} by {self.due_on}"

    @property
    def label(self) -> str:
        if self.kind != ClockKind.STAGE:
            return str(self.get_kind_display())
        model = WORKFLOW_MODELS.get(self.case.case_type.workflow)
        stage = model.STATES.get(self.stage, self.stage) if model else self.stage
        return str(_("Finish the stage: %(stage)s")) % {"stage": stage}
