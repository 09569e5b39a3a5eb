"""Reads for the reporter pages that hold no case content: support resources."""

from __future__ import annotations

from collections.abc import Iterable

from intake.configuration import support_for
from intake.models import SupportResource


def support_list_for(category_ids: Iterable[int] = (), stage: str = "") -> list[SupportResource]:
    """Active support resources for these categories: those for every category, and those
    chosen for one of them; given a case's ``stage`` ("workflow:state"), those for every
    stage or that one. From the configuration kept in the cache (``configuration``),
    so the caller holds them in memory and a page reads none of them from the database."""
    return support_for(category_ids, stage)
