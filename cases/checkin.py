"""When the reporter's check-in after closure is asked: one rule, shared by the follow-up
page that shows the question and the service that records the answer (under the row lock).

The question appears once the case has been closed for its type's ``checkin_after_weeks``
(counted in whole weeks from the day it closed), and only until it is answered. A case that
is open, or whose type asks nothing, or that has not been closed long enough, shows nothing
(docs/decisions/0020-reporter-check-in.md).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.utils import timezone

from cases.models import Case


class CheckinStatus(StrEnum):
    NOT_ASKED = "not_asked"  # open, not closed long enough, or never asked for this type
    ASKED = "asked"  # the question is on the follow-up page
    ANSWERED = "answered"  # answered once; the page thanks the reporter


def checkin_due_on(case: Case) -> dt.date | None:
    """The first day the question is asked, or ``None`` while the case is open or its type
    asks nothing."""
    weeks = case.case_type.checkin_after_weeks
    if weeks is None or case.closed_on is None:
        return None
    return case.closed_on + dt.timedelta(weeks=weeks)


def checkin_status(case: Case, *, today: dt.date | None = None) -> CheckinStatus:
    if case.checkin_answer:
        return CheckinStatus.ANSWERED
    due = checkin_due_on(case)
    if due is None or (today or timezone.localdate()) < due:
        return CheckinStatus.NOT_ASKED
    return CheckinStatus.ASKED
