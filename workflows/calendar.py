"""Counting time for statutory clocks: calendar days, working days that skip weekends and the
bank holidays of the organisation's region (the ``holidays`` package), or calendar months."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import holidays
from django.conf import settings


@lru_cache(maxsize=8)
def _bank_holidays(country: str, region: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=region or None, years=range(2020, 2051))


def is_working_day(day: dt.date) -> bool:
    region = _bank_holidays(settings.SPEAKUP_HOLIDAYS_COUNTRY, settings.SPEAKUP_HOLIDAYS_REGION)
    return day.weekday() < 5 and day not in region


def add_days(start: dt.date, days: int, *, working: bool) -> dt.date:
    """The day ``days`` after ``start``: calendar days, or working days when ``working``."""
    if not working:
        return start + dt.timedelta(days=days)
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


Unit = Literal["days", "working_days", "months"]


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit | str


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, or the month's last day if it has none
    (three months from 30 November is 28 February, or the 29th in a leap year)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(
        year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1])
    )


def add_period(start: dt.date, period: Period) -> dt.date:
    """The day ``period`` after ``start``."""
    if period.unit == "months":
        return add_months(start, period.amount)
    if period.unit not in ("days", "working_days"):
        raise ValueError(f"Unknown unit of time {period.unit!r}.")
    return add_days(start, period.amount, working=period.unit == "working_days")
