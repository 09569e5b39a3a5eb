"""Cases on given days for report tests, made through the services with the clock moved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from cases.models import Category, OrganisationalUnit
from tests.builders import make_case_type
from workflows.services import case_file, case_transition


def trend_type(**fields: Any) -> Any:
    """A trend-only case type (review stops the acknowledgement clock, then close)."""
    return make_case_type(workflow="trend_only", **fields)


def category(case_type: Any, slug: str) -> Category:
    return Category.objects.create(case_type=case_type, slug=slug, name=slug.title())


def unit(slug: str) -> OrganisationalUnit:
    return OrganisationalUnit.objects.create(slug=slug, name=slug.title())


def _at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(12)), tick=False)


def trend_case(
    case_type: Any,
    received: dt.date,
    *,
    reviewed: dt.date | None = None,
    closed: dt.date | None = None,
    **fields: Any,
) -> Any:
    """A trend-only case received on ``received``, reviewed (acknowledged) and closed on the
    days given, each step taken on its day."""
    with _at(received):
        case, _ = case_file(
            case_type=case_type, answers={"what_happened": "x"}, received_on=received, **fields
        )
    if reviewed or closed:
        with _at(reviewed or received):
            case = case_transition(case=case, name="review", actor=None)
    if closed:
        with _at(closed):
            case = case_transition(case=case, name="close", actor=None)
    return case
