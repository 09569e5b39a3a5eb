"""What a reporter is told about their case: the stage in plain words and the dates the
organisation committed to. Never internal notes, handlers' names or subjects."""

from __future__ import annotations

import datetime as dt
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


def _add_days(start: dt.date, days: int, *, working: bool) -> dt.date:
    """Calendar days, or weekdays when the case type counts working days (bank holidays
    arrive with the statutory clocks of the workflows issue)."""
    if not working:
        return start + dt.timedelta(days=days)
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def progress_of(case: Case) -> Progress:
    case_type = case.case_type
    commitments: list[str] = []
    working = case_type.deadlines_in_working_days
    if case_type.acknowledge_within_days:
        due = _add_days(case.received_on, case_type.acknowledge_within_days, working=working)
        commitments.append(
            str(_("We will acknowledge your report by %(date)s."))
            % {"date": date_format(due, "j F Y")}
        )
    if case_type.feedback_within_days:
        commitments.append(
            str(_("We will give you feedback within %(days)d days of acknowledging it."))
            % {"days": case_type.feedback_within_days}
        )
    return Progress(
        stage=str(PLAIN_WORDS.get(case.state, _("Your report is being dealt with."))),
        commitments=commitments,
        trend_only=case_type.workflow == Workflow.TREND_ONLY,
    )
