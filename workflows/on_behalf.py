"""Reports that arrive by phone, in person or by post, recorded by a triage lead on the
reporter's behalf (issue 15, section 4).

The report is filed exactly as the form files one (``case_file``: sealed answers, a new token,
the workflow's clocks), except that its day is the day it was received, so its deadlines run
from then, and its channel is recorded on the case. One more event says who recorded it and by
which channel. The token exists only in what this returns: the page that called it prints it
on the receipt the triage lead hands over, and nothing stores it.

A kind of report whose process does not investigate (a report for trends only) keeps no way
to reach or name its reporter and nobody who must not handle it, whoever records it: nobody
contacts its reporter or looks into it (decision 0034, as on the reporter's form).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from cases.audit import event_record
from cases.exceptions import SpeakUpError
from cases.models import Case, CaseType, Category, Channel, OrganisationalUnit
from cases.services import Confidential, InvalidReport
from permissions.predicates import may_record_on_behalf
from workflows.models import Clock
from workflows.registry import spec_of
from workflows.services import case_file

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Other channels than the form; the form's own reports are filed by the reporter.
OTHER_CHANNELS = (Channel.PHONE, Channel.IN_PERSON, Channel.POST)
# The questions asked only where someone looks into the report and may contact the reporter:
# who must not handle it, how to contact them, and whether (and as whom) they give their name.
ASKED_WHEN_INVESTIGATED = ("not_to_handle", "contact", "identity", "name")


class MayNotRecord(SpeakUpError):
    """The person is not in the team that triages this kind of report."""


@dataclass(frozen=True)
class Recorded:
    case: Case
    token: str  # in clear, for the receipt only
    clocks: tuple[Clock, ...]  # the deadlines it started, from the day it was received


def report_record_on_behalf(
    *,
    actor: User,
    case_type: CaseType,
    channel: str,
    received_on: dt.date,
    answers: Mapping[str, str],
    category: Category | None = None,
    org_unit: OrganisationalUnit | None = None,
    reporter_named: bool = False,
    reporter_contact: str = "",
    confidential: Confidential | None = None,
) -> Recorded:
    """File a report received by ``channel`` on ``received_on``. Raises ``MayNotRecord`` for
    someone outside the case type's triage team, and ``InvalidReport`` for the form's own
    channel, contact details, a name or an exclusion for a kind that does not investigate, a
    day in the future, or anything ``case_file`` refuses."""
    if not may_record_on_behalf(actor, case_type):
        raise MayNotRecord("Only the team that triages this kind of report can record one.")
    if channel not in OTHER_CHANNELS:
        raise InvalidReport("Choose how the report was received: by phone, in person or by post.")
    if not spec_of(case_type.workflow).investigates and (
        reporter_named
        or reporter_contact
        or confidential is not None
        or answers.get("not_to_handle")
        or answers.get("name")
    ):
        raise InvalidReport(
            "A report for trends only keeps no contact details, name or exclusion: nobody "
            "contacts its reporter or looks into it."
        )
    started: list[Clock] = []
    with transaction.atomic():
        case, token = case_file(
            case_type=case_type,
            answers=answers,
            category=category,
            org_unit=org_unit,
            reporter_named=reporter_named,
            reporter_contact=reporter_contact,
            received_on=received_on,
            started=started,
            channel=channel,
            confidential=confidential,
        )
        event_record(
            case=case, code="case.recorded_on_behalf", actor=actor, payload={"channel": channel}
        )
    return Recorded(case=case, token=token, clocks=tuple(started))
