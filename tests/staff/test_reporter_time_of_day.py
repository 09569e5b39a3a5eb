"""Nothing staff see places a reporter's action more precisely than the day.

A reporter's message sent in the morning and one sent in the evening, on the same day as the
same staff actions, must give staff the same pages: the same order, the same times shown.
"""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine

from cases.models import MessageKind
from cases.services import message_add

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _at(hour: int, minute: int = 0) -> time_machine.travel:
    return time_machine.travel(dt.datetime(2026, 11, 3, hour, minute, tzinfo=LONDON), tick=False)


def _day_with_reporter_message_at(cast, hour: int) -> None:
    """Staff write at 10:00 and 15:00; the reporter writes at ``hour``."""
    for when, author, body in sorted(
        [
            (10, cast.assigned_handler, "Staff message one"),
            (15, cast.assigned_handler, "Staff message two"),
            (hour, None, "Reporter message"),
        ],
        key=lambda item: item[0],
    ):
        kind = MessageKind.FROM_REPORTER if author is None else MessageKind.TO_REPORTER
        with _at(when):
            message_add(case=cast.case, kind=kind, body=body, author=author)


def _order(page: str, *markers: str) -> list[str]:
    return sorted(markers, key=page.index)


@pytest.mark.parametrize("hour", [8, 12, 18])
def test_the_case_page_lists_a_reporters_message_after_the_days_staff_messages(
    cast, sign_in, client, hour
):
    _day_with_reporter_message_at(cast, hour)
    sign_in(cast.assigned_handler)
    with _at(20):
        page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert _order(page, "Staff message one", "Staff message two", "Reporter message") == [
        "Staff message one",
        "Staff message two",
        "Reporter message",
    ]


@pytest.mark.parametrize("hour", [8, 12, 18])
def test_the_timeline_shows_a_reporters_event_after_the_days_staff_events_without_a_time(
    cast, sign_in, client, hour
):
    _day_with_reporter_message_at(cast, hour)
    sign_in(cast.assigned_handler)
    with _at(20):
        page = client.get(f"/staff/cases/{cast.case.pk}/history/").content.decode()
    # The day's entries, under its heading.
    section = re.search(r"3 November 2026</h2>\s*<ol[^>]*>(.*?)</ol>", page, flags=re.S).group(1)
    day = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    # Two staff messages at their times, then the reporter's message with no time of day.
    assert ["10:00" in day[0], "15:00" in day[1]] == [True, True]
    assert "Time of day not recorded" in day[-1]
    assert "00:00" not in day[-1]
    assert "The reporter or system" in day[-1]
