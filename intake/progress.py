"""What a reporter is told about their case: the stage in plain words and the dates the
organisation committed to. Never internal notes, handlers' names or subjects. Reads only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models import Case
from workflows import registry
from workflows.clocks import clocks_of
from workflows.models import Clock
from workflows.spec import ClockKind


@dataclass(frozen=True)
class Progress:
    stage: str
    commitments: list[str]
    trend_only: bool


def progress_of(case: Case, clocks: Iterable[Clock] | None = None) -> Progress:
    """The stage in the workflow's reporter wording and the dates still ahead, from the case's
    running clocks (read here, or ``clocks`` when the caller holds all of them, as a report
    just filed does). A closed case has none, so it promises nothing."""
    spec = registry.spec_of(case.case_type.workflow)
    state = spec.state(case.state)
    by_kind = {
        clock.kind: clock
        for clock in (clocks_of(case) if clocks is None else clocks)
        if clock.stage == ""
    }
    ack, feedback = by_kind.get(ClockKind.ACKNOWLEDGE), by_kind.get(ClockKind.FEEDBACK)
    commitments: list[str] = []
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
    elif feedback is None and ack is not None and ack.stopped_on is None:
        promise = _feedback_promise(case)
        if promise:
            commitments.append(promise)
    return Progress(
        stage=str(state.reporter if state else _("Your report is being dealt with.")),
        commitments=commitments,
        trend_only=not spec.investigates,
    )


def _feedback_promise(case: Case) -> str:
    case_type = case.case_type
    if months := case_type.feedback_within_months:
        return ngettext(
            "We will give you feedback within %(n)d month of acknowledging it.",
            "We will give you feedback within %(n)d months of acknowledging it.",
            months,
        ) % {"n": months}
    if days := case_type.feedback_within_days:
        return ngettext(
            "We will give you feedback within %(n)d day of acknowledging it.",
            "We will give you feedback within %(n)d days of acknowledging it.",
            days,
        ) % {"n": days}
    return ""
