"""simple-history's records, with each model's history manager class made once.

``Model.history`` is a descriptor that builds its manager's class afresh on every access
(``HistoryManager.from_queryset(HistoricalQuerySet)``, a new class with some forty methods
copied onto it), and every historical row the library writes reads it once
(``create_historical_record``). That cost about a millisecond of Python a row under the
profiler: a report writes two history rows and a transition three (B3, B4,
docs/performance.md). ``HistoryManagerOnce`` makes each class once and keeps it; the
manager itself is still made per access, bound to its model and instance, so what a history
query returns is unchanged.

Every model that keeps history declares it with ``history_records`` (a test finds any that
does not).
"""

from __future__ import annotations

import functools
from typing import Any

from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords


class HistoryManagerOnce(HistoryManager):
    """A ``HistoryManager`` whose class for a queryset class is made once (see above)."""

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class: Any, class_name: str | None = None) -> Any:
        return super().from_queryset(queryset_class, class_name)


def history_records(**options: Any) -> HistoricalRecords:
    """``HistoricalRecords(**options)`` with the manager above."""
    return HistoricalRecords(history_manager=HistoryManagerOnce, **options)
