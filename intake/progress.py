"""What a reporter is told about their case: the stage in plain words and the dates the
organisation committed to. Never internal notes, handlers' names or subjects."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Workflow

# The reporter's view of each state: what is happening, in their terms.
PLAIN_WORDS = {
    "received": _("We have your report. Someone will look at it soon."),
    "acknowledged": _("We have confirmed we received your report and will assess it."),
    "assessment": _("We are deciding how to deal with your report."),
    "investigation": _("Your report is being investigated."),
    "outcome": _("The investigation has reached an outcome. We will tell you what we can."),
    "closed": _("Your report is closed."),
    "not_in_scope": _(
        "Your report is not something this process can deal with. Check the messages below."
    ),
    "referred": _("Your report has been passed to an outside body that can deal with it."),
    "withdrawn": _("Your report has been withdrawn."),
    "initial_assessment": _("We are looking at your report to decide what should happen next."),
    "informal_resolution": _("We are trying to resolve this informally."),
    "mediation": _("Mediation has been arranged between the people involved."),
    "formal_investigation": _("A formal investigation is under way."),
    "decision": _("A decision has been made. We will tell you what we can."),
    "appeal": _("An appeal is being considered."),
    "reviewed": _("Your report has been read and counted. It will help us see patterns."),
}


@dataclass(frozen=True)
class Progress:
    stage: str
    commitments: list[str]
    trend_only: bool


def progress_of(case: Case) -> Progress:
    """The stage in plain words and the dates still ahead, from the case's statutory clocks."""
    from workflows.clocks import clocks_ensure
    from workflows.models import ClockKind

    case_type = case.case_type
    commitments: list[str] = []
    clocks = {clock.kind: clock for clock in clocks_ensure(case)}
    ack, feedback = clocks.get(ClockKind.ACKNOWLEDGE), clocks.get(ClockKind.FEEDBACK)
    if ack is not None and ack.stopped_on is None:
        commitments.append(
            str(_("We will acknowledge your report by %(date)s."))
            % {"date": date_format(ack.due_on, "j F Y")}
        )
    if feedback is not None and feedback.stopped_on is None:
        commitments.append(
            str(_("We will give you feedback by %(date)s."))
            % {"date": date_format(feedback.due_on, "j F Y")}
        )
    elif (
        feedback is None
        and case_type.feedback_within_days
        and (ack is None or ack.stopped_on is None)
    ):
        commitments.append(
            str(_("We will give you feedback within %(days)d days of acknowledging it."))
            % {"days": case_type.feedback_within_days}
        )
    return Progress(
        stage=str(PLAIN_WORDS.get(case.state, _("Your report is being dealt with."))),
        commitments=commitments,
        trend_only=case_type.workflow == Workflow.TREND_ONLY,
    )
