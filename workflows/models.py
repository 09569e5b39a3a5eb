"""Workflow models and statutory clocks.

The workflows themselves are declared in ``workflows/machines/`` and made into django-fsm
proxy models of ``Case`` by ``workflows/registry.py`` when this module loads, so that Django
(and its migrations) know them. ``transition_table`` reads a machine back from django-fsm,
for tests and diagrams.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.history import history_records
from cases.models import Case, HistoryTrackedQuerySet, SealedField
from workflows import registry
from workflows.spec import ClockKind

registry.load()


@dataclass(frozen=True, order=True)
class TransitionRow:
    name: str
    source: str
    target: str


def transition_table(workflow: str) -> list[TransitionRow]:
    """Every (step, source, target) of a workflow, read back from its django-fsm model."""
    model = registry.model_of(workflow)
    rows = {
        TransitionRow(name=t.name, source=str(t.source), target=str(t.target))
        for t in model._meta.get_field("state").get_all_transitions(model)
    }
    return sorted(rows)


# --- Statutory clocks -----------------------------------------------------------------------


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
    # Set only when retention cuts the dates above to their months: the days it ran, for the
    # reports' time to acknowledge.
    days_taken = models.PositiveIntegerField(null=True, blank=True, editable=False)
    met = models.BooleanField(null=True)
    missed_recorded = models.BooleanField(default=False)
    # The latest pause or extension reason, sealed with the case's key.
    reason = SealedField(null=True)

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("case", "kind", "stage"), name="one_clock_per_kind")
        ]
        indexes = [
            # The reminder scan reads the running clocks due in a range of days
            # (notifications/reminders.py): the few due among many, never the stopped ones.
            models.Index(
                fields=("due_on",),
                name="clock_running_due",
                condition=models.Q(stopped_on__isnull=True, paused_on__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} by {self.due_on}"

    @property
    def label(self) -> str:
        if self.kind != ClockKind.STAGE:
            return str(self.get_kind_display())
        state = registry.spec_of(self.case.case_type.workflow).state(self.stage)
        stage = state.staff if state else self.stage
        return str(_("Finish the stage: %(stage)s")) % {"stage": stage}
