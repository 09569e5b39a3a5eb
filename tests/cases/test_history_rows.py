"""History rows written together (``cases.history``) are the rows django-simple-history's own
signal writes: the same columns, type, user and reason, for a save made either way."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.forms.models import model_to_dict
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from cases import history
from cases.history import HistoryRow, history_save, history_write
from cases.models import Case
from tests.builders import make_case

pytestmark = pytest.mark.django_db

HistoricalCase = apps.get_model("cases", "HistoricalCase")


def _row(row_id):
    """A history row's columns, without its own id and date (which differ by nature)."""
    row = HistoricalCase.objects.get(history_id=row_id)
    return {
        k: v
        for k, v in model_to_dict(row).items()
        if k not in {"history_id", "history_date", "history_change_reason", "history_user"}
    } | {
        "history_user_id": row.history_user_id,
        "history_change_reason": row.history_change_reason,
    }


def _two_saves(case):
    """The same change saved through the signal and through ``history_save``: the two new
    history rows' ids."""
    case.closed_on = None
    case.save(update_fields=["closed_on"])
    by_signal = HistoricalCase.objects.filter(id=case.pk).latest("history_id").history_id
    rows: list[HistoryRow] = []
    history_save(case, rows, "~", update_fields=["closed_on"])
    assert HistoricalCase.objects.filter(id=case.pk).latest("history_id").history_id == by_signal
    history_write(rows)
    together = HistoricalCase.objects.filter(id=case.pk).latest("history_id").history_id
    return by_signal, together


def test_a_row_written_together_is_the_row_the_signal_writes():
    case = make_case()
    by_signal, together = _two_saves(case)
    assert together != by_signal
    assert _row(together) == _row(by_signal)
    assert _row(together)["history_type"] == "~"
    assert _row(together)["history_user_id"] is None  # no request: nobody


def test_the_signed_in_user_and_the_objects_own_user_and_reason_are_kept(
    staff_user, django_user_model
):
    case = make_case()
    other = django_user_model.objects.create_user(username="other", password="not-used-123!")
    HistoricalRecords.context.request = SimpleNamespace(user=staff_user)
    try:
        by_signal, together = _two_saves(case)
        assert _row(together) == _row(by_signal)
        assert _row(together)["history_user_id"] == staff_user.pk
        case._history_user = other
        case._change_reason = "corrected"
        by_signal, together = _two_saves(case)
    finally:
        del HistoricalRecords.context.request
    assert _row(together) == _row(by_signal)
    assert (_row(together)["history_user_id"], _row(together)["history_change_reason"]) == (
        other.pk,
        "corrected",
    )


def test_a_proxy_writes_to_its_models_history():
    from workflows.registry import as_workflow_case

    case = as_workflow_case(Case.objects.get(pk=make_case().pk))
    assert type(case) is not Case
    rows: list[HistoryRow] = []
    history_save(case, rows, "~", update_fields=["closed_on"])
    history_write(rows)
    assert HistoricalCase.objects.filter(id=case.pk).count() == 2


def test_rows_of_two_tables_are_written_one_statement_each(django_assert_num_queries):
    from workflows.models import Clock

    case = make_case()
    clock = Clock.objects.filter(case=case).get()
    rows: list[HistoryRow] = []
    history_save(case, rows, "~", update_fields=["closed_on"])
    history_save(clock, rows, "~", update_fields=["met"])
    history_save(case, rows, "~", update_fields=["closed_on"])
    with django_assert_num_queries(2):
        history_write(rows)
    assert HistoricalCase.objects.filter(id=case.pk).count() == 3


def test_nothing_is_noted_when_history_is_switched_off(settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    rows: list[HistoryRow] = []
    history_save(make_case(), rows, "~", update_fields=["closed_on"])
    assert rows == []


def test_a_history_that_tracks_many_to_many_fields_is_refused(monkeypatch):
    with_m2m = type("HistoricalThing", (), {"_history_m2m_fields": ["teams"]})
    monkeypatch.setattr(history, "get_history_model_for_model", lambda model: with_m2m)
    with pytest.raises(ValueError, match="many-to-many"):
        history._historical.__wrapped__(Case)


def test_nothing_listens_for_the_signals_rows_written_together_skip():
    # Rows written together send neither of these: a receiver added for a tracked model
    # would silently miss the workflow's rows (cases/history.py).
    tracked = [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]
    historical = [apps.get_model(m._meta.app_label, f"Historical{m.__name__}") for m in tracked]
    assert HistoricalCase in historical
    for signal in (pre_create_historical_record, post_create_historical_record):
        assert not [model for model in historical if signal.has_listeners(sender=model)]
