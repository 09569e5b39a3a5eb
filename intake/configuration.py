"""What the reporter pages read on every request and administrators change rarely: the open
case types, their categories, the units, the monitoring questions, the support resources, the
branding and the campaigns. Read from the database once, kept in the shared cache (so every
worker sees the same), and dropped as soon as an administrator saves or deletes any of it
(``forget``, on those models' signals; ``intake/apps.py``).

Rules:
- a change shows at once: the copy is dropped when the change is saved and again when its
  transaction commits (a page that read the old rows in between cannot keep them past the
  commit), and it lives at most ``LIFETIME`` in any case;
- a request reads the kept copy once, however many parts of it ask (the copy is held for
  the thread's current request, between Django's ``request_started`` and
  ``request_finished``; outside a request every call asks the cache);
- the cache is never a reason to fail: when it does not answer, the rows are read from the
  database as before;
- nothing about a case or a reporter is kept here, only configuration.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cases.models import CaseType, Category, OrganisationalUnit
from intake.models import Branding, Campaign, SupportResource, branding
from reports.monitoring import Asked, monitoring_questions

logger = logging.getLogger(__name__)

# Named with a version: a change to what is kept changes the name, so a copy pickled by an
# older release is never read back.
KEY = "intake:configuration:3"
LIFETIME = 600  # seconds: the longest a copy can outlive a change the signals missed


@dataclass(frozen=True)
class Configuration:
    case_types: dict[str, CaseType]  # the open case types, by slug
    categories: dict[int, list[Category]]  # the active categories of each case type
    units: list[OrganisationalUnit]  # the active units, in their order
    questions: list[Asked]  # as ``reports.monitoring.monitoring_questions`` gives them
    support: list[tuple[SupportResource, frozenset[int]]]  # active, with their categories
    branding: Branding
    campaigns: list[Campaign]  # those not over by yesterday, by their first day


def _read() -> Configuration:
    """Everything, from the database, in the order each page lists it."""
    categories: dict[int, list[Category]] = {}
    for category in Category.objects.filter(is_active=True):
        categories.setdefault(category.case_type_id, []).append(category)
    resources = SupportResource.objects.filter(is_active=True).prefetch_related("categories")
    return Configuration(
        case_types={t.slug: t for t in CaseType.objects.filter(is_active=True)},
        categories=categories,
        units=list(OrganisationalUnit.objects.filter(is_active=True)),
        questions=monitoring_questions(),
        support=[(r, frozenset(c.pk for c in r.categories.all())) for r in resources],
        branding=branding(),
        campaigns=list(
            Campaign.objects.filter(ends_on__gte=timezone.localdate() - dt.timedelta(days=1))
        ),
    )


# The copy the current request has read, per thread (a worker's thread serves one request
# at a time); ``None`` outside a request or before its first read.
_request = threading.local()


def request_began(**_: Any) -> None:
    _request.active, _request.kept = True, None


def request_ended(**_: Any) -> None:
    _request.active, _request.kept = False, None


def configuration() -> Configuration:
    """The configuration, from the cache when it holds it, else from the database (and then
    kept). Raises ``DatabaseError`` only when it must read and the database cannot answer."""
    held = getattr(_request, "kept", None)
    if held is not None:
        return held  # type: ignore[no-any-return]
    found = _kept()
    if getattr(_request, "active", False):
        _request.kept = found
    return found


def _kept() -> Configuration:
    try:
        found = cache.get(KEY)
    except Exception as error:  # the cache is down or hung, or the copy will not unpickle
        logger.warning("configuration not read from the cache (%s)", type(error).__name__)
        return _read()
    if isinstance(found, Configuration):
        return found
    read = _read()
    try:
        cache.set(KEY, read, LIFETIME)
    except Exception as error:
        logger.warning("configuration not kept in the cache (%s)", type(error).__name__)
    return read


def case_type_open(slug: str) -> CaseType | None:
    """The open case type with this slug, or ``None``."""
    return configuration().case_types.get(slug)


def categories_of(case_type: CaseType) -> list[Category]:
    return configuration().categories.get(case_type.pk, [])


def support_for(category_ids: Iterable[int], stage: str = "") -> list[SupportResource]:
    """Active support resources for these categories: those for every category, and those
    chosen for one of them; given a case's ``stage`` ("workflow:state"), only those for
    every stage or chosen for that one."""
    chosen = set(category_ids)
    return [
        r
        for r, cats in configuration().support
        if (not cats or chosen & cats) and (not stage or not r.stages or stage in r.stages)
    ]


def campaigns_on(day: dt.date) -> list[Campaign]:
    """The campaigns running on ``day`` (from their first day to their last)."""
    return [c for c in configuration().campaigns if c.starts_on <= day <= c.ends_on]


def forget(**_: Any) -> None:
    """Drop the kept copy now and when the current transaction commits (connected to the
    signals of every model kept here)."""
    _drop()
    transaction.on_commit(_drop)


def _drop() -> None:
    _request.kept = None
    try:
        cache.delete(KEY)
    except Exception as error:
        # The copy may then outlive this change by up to LIFETIME: say so.
        logger.warning("configuration copy not dropped (%s)", type(error).__name__)
