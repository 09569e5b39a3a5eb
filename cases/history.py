"""Field history rows written together: the rows django-simple-history writes one at a time
from its ``post_save`` signal, for the saves of one change (a workflow step: the case and the
clocks it stops and starts), one INSERT per history table at the end of the change.

``history_save`` saves an object without the signal (simple-history's own switch,
``skip_history_when_saving``) and notes its row as the signal would have made it at that
moment: the tracked fields' values, the date (``_history_date``, else now), the type ("+"
new, "~" changed), the user (simple-history's ``get_default_history_user``: the object's
``_history_user``, else the request's signed-in user as its middleware names it, else none)
and the reason (``get_change_reason_from_object``). ``history_write`` inserts the rows noted
with ``cases.batch.rows_insert``: no historical model instance is made and no signal sent.

Profiled on a step (docs/performance.md, B4), the signal's row costs about four times the
case's own UPDATE: it looked up the history manager (a new class on every access, until
``HistoryManagerOnce`` below), makes a historical instance field by field and saves it
through the ORM. Only for models whose history tracks no many-to-many field, and with no
receiver of simple-history's ``pre_create_historical_record`` or
``post_create_historical_record`` (none in this project; ``history_write`` refuses the
first, a test guards the second): those are what the signal does and this does not.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords
from simple_history.utils import get_change_reason_from_object, get_history_model_for_model

from cases.batch import row_insert, row_update, rows_insert


@dataclass(frozen=True)
class HistoryRow:
    """One history row noted by ``history_save``, waiting for ``history_write``."""

    historical: type[models.Model]
    values: dict[str, Any]


@functools.cache
def _historical(model: type[models.Model]) -> type[models.Model]:
    # Looked up once per model: simple-history's lookup goes through the history manager.
    historical: type[models.Model] = get_history_model_for_model(model)
    if getattr(historical, "_history_m2m_fields", None):
        raise ValueError(f"{model.__name__}'s history tracks many-to-many fields.")
    return historical


def history_save(obj: models.Model, rows: list[HistoryRow], history_type: str, **how: Any) -> None:
    """Save ``obj`` (``how`` as ``Model.save`` takes it) without simple-history's signal, and
    add the row the signal would have written to ``rows``, for ``history_write`` in the same
    transaction. ``history_type`` is "+" for a new row, "~" for a changed one.

    A save of named fields, a new row inserted by force and a new row with an automatic key go
    as the one statement ``save()`` would send, written once per model (``cases.batch.row_update``,
    ``row_insert``; decision 0040): Django builds and compiles that statement again on every
    save: a step's saves were about a sixth of its CPU on SQLite (B4). They send no
    ``pre_save`` or ``post_save``; nothing but simple-history (skipped here anyway) listens for
    those on the models saved this way, which a test checks."""
    obj.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        # The statement save() would send, written once (``cases.batch``).
        if set(how) == {"update_fields"} and not obj._state.adding:
            row_update(obj, how["update_fields"])
        elif obj._state.adding and (how == {"force_insert": True} or (not how and obj.pk is None)):
            row_insert(obj)
        else:
            obj.save(**how)
    finally:
        del obj.skip_history_when_saving  # type: ignore[attr-defined]
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    historical = _historical(type(obj)._meta.concrete_model)  # a proxy's is its model's
    date: dt.datetime = getattr(obj, "_history_date", None) or timezone.now()
    user = historical.get_default_history_user(obj)  # type: ignore[attr-defined]
    values = {
        field.attname: getattr(obj, field.attname)
        for field in historical.tracked_fields  # type: ignore[attr-defined]
    }
    rows.append(
        HistoryRow(
            historical,
            {
                **values,
                "history_date": date,
                "history_type": history_type,
                "history_user_id": user.pk if user is not None else None,
                "history_change_reason": get_change_reason_from_object(obj),
            },
        )
    )


def history_write(rows: list[HistoryRow]) -> None:
    """Insert the rows ``history_save`` noted: one statement per history table, in the order
    the saves were made."""
    tables: dict[type[models.Model], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        tables[row.historical].append(row.values)
    for historical, values in tables.items():
        rows_insert(historical, {name: [v[name] for v in values] for name in values[0]})


# --- The history manager's class, made once per model ---------------------------------------
# simple-history's records, with each model's history manager class made once.
#
# ``Model.history`` is a descriptor that builds its manager's class afresh on every access
# (``HistoryManager.from_queryset(HistoricalQuerySet)``, a new class with some forty methods
# copied onto it), and every historical row the library writes reads it once
# (``create_historical_record``). That cost about a millisecond of Python a row under the
# profiler: a report writes two history rows and a transition three (B3, B4,
# docs/performance.md). ``HistoryManagerOnce`` makes each class once and keeps it; the
# manager itself is still made per access, bound to its model and instance, so what a history
# query returns is unchanged.
#
# Every model that keeps history declares it with ``history_records`` (a test finds any that
# does not).


class HistoryManagerOnce(HistoryManager):
    """A ``HistoryManager`` whose class for a queryset class is made once (see above)."""

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class: Any, class_name: str | None = None) -> Any:
        return super().from_queryset(queryset_class, class_name)


def history_records(**options: Any) -> HistoricalRecords:
    """``HistoricalRecords(**options)`` with the manager above."""
    return HistoricalRecords(history_manager=HistoryManagerOnce, **options)
