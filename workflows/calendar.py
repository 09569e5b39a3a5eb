"""Counting days for statutory clocks: calendar days, or working days that skip weekends and
the bank holidays of the organisation's region (the ``holidays`` package)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

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
