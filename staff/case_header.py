"""What the case page's header says about a case's deadlines: the clocks that run now, each with
a tag a handler takes in at a glance (overdue, due within a week, paused). Reads nothing: the
page's clocks are handed in (``workflows.clocks.clocks_of``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workflows.models import Clock

# Within this many days a deadline is "due" (the list's "Due within a week" filter too).
DUE_WITHIN_DAYS = 7


@dataclass(frozen=True)
class HeaderDeadline:
    label: str
    due_on: dt.date
    tag: str  # what the tag says; empty for a deadline more than a week away
    colour: str  # a GOV.UK tag modifier: red, yellow, grey


def deadlines_now(clocks: Iterable[Clock], today: dt.date) -> list[HeaderDeadline]:
    """The running and paused deadlines of a case, soonest first; stopped ones (met or
    missed) stay in the page's list of deadlines, not in its header."""
    now = []
    for clock in sorted(clocks, key=lambda c: c.due_on):
        if clock.stopped_on is not None:
            continue
        days = (clock.due_on - today).days
        if clock.paused_on is not None:
            tag, colour = _("paused"), "grey"
        elif days < 0:
            tag, colour = _("overdue"), "red"
        elif days == 0:
            tag, colour = _("due today"), "yellow"
        elif days <= DUE_WITHIN_DAYS:
            tag = ngettext("due in %(days)d day", "due in %(days)d days", days) % {"days": days}
            colour = "yellow"
        else:
            tag, colour = "", ""
        now.append(HeaderDeadline(clock.label, clock.due_on, tag, colour))
    return now
