"""The kinds of notification: what each says, in words that name no case content.

Every notification and e-mail says only that something needs attention and where to sign
in. A kind's ``audience`` says who it is for: ``holders`` (the people who hold the case
when it is sent; someone who no longer does is not e-mailed) or ``named`` (people chosen by
the caller, e.g. an escalation contact, who may not hold the case at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    key: str
    # One line for the workspace list and the e-mail's subject: no content, ever.
    headline: Promise
    audience: Literal["holders", "named"] = "holders"
    # For a notification about no one case: the staff page (URL name) it links to.
    page: str = ""


DEADLINE_SOON = "deadline_soon"
DEADLINE_TODAY = "deadline_today"
DEADLINE_OVERDUE = "deadline_overdue"
ACTION_SOON = "action_soon"
ACTION_TODAY = "action_today"
ACTION_OVERDUE = "action_overdue"
ESCALATION = "escalation"
CASE_NEWS = "case_news"
CHECKIN_CONCERN = "checkin_concern"
NEW_REPORT = "new_report"
REPORT_PACK_READY = "report_pack_ready"
HOLD_REVIEW_DUE = "hold_review_due"
APPEAL_WAITING = "appeal_waiting"
APPEAL_TO_DECIDE = "appeal_to_decide"

KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind(DEADLINE_SOON, _("A deadline on a case is coming up")),
        Kind(DEADLINE_TODAY, _("A deadline on a case is today")),
        Kind(DEADLINE_OVERDUE, _("A deadline on a case has passed")),
        Kind(ACTION_SOON, _("An action on a case is coming up")),
        Kind(ACTION_TODAY, _("An action on a case is due today")),
        Kind(ACTION_OVERDUE, _("An action on a case is overdue")),
        Kind(ESCALATION, _("A case is long overdue and needs attention"), audience="named"),
        Kind(NEW_REPORT, _("A new report has arrived")),
        Kind(CASE_NEWS, _("There is something new on a case")),
        Kind(CHECKIN_CONCERN, _("A case needs your attention again")),
        # To the case type's triage leads, who choose the appeal's decision-maker.
        Kind(APPEAL_WAITING, _("An appeal is waiting for a decision-maker"), audience="named"),
        # To the person given an appeal to decide (decision 0032).
        Kind(APPEAL_TO_DECIDE, _("You have been asked to decide an appeal"), audience="named"),
        Kind(
            REPORT_PACK_READY,
            _("A new report pack is ready"),
            audience="named",
            page="staff:report_packs",
        ),
        Kind(
            HOLD_REVIEW_DUE,
            _("A legal hold is due for review"),
            audience="named",
            page="staff:holds",
        ),
    )
}


def kind_of(key: str) -> Kind:
    """The kind named ``key``; ``ValueError`` for one that does not exist."""
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"Unknown notification kind {key!r}.") from None
