"""Reads for the reporter pages that hold no case content: support resources."""

from __future__ import annotations

from collections.abc import Iterable

from intake.models import SupportResource


def support_list_for(category_ids: Iterable[int] = ()) -> list[SupportResource]:
    """Active support resources for these categories: those for every category, and those
    chosen for one of them. Evaluated here, so the caller holds them in memory."""
    chosen = set(category_ids)
    resources = SupportResource.objects.filter(is_active=True).prefetch_related("categories")
    return [
        r
        for r in resources
        if not r.categories.all() or chosen & {c.pk for c in r.categories.all()}
    ]
