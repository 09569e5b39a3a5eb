"""``cases.batch.row_update`` and ``row_insert``: the statements ``save(update_fields=...)``
and ``save(force_insert=True)`` send, written once, which ``cases.history.history_save``
uses for a step's saves. Each compared with the save it stands for; and, since they send no
``pre_save`` or ``post_save``, a guard that nothing but django-simple-history listens for
those on the models saved that way."""

import datetime as dt
import os
import uuid

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connection, transaction
from django.db.models import Value
from django.db.models.expressions import DatabaseDefault
from django.db.models.functions import Lower
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from simple_history.models import HistoricalRecords

from cases.batch import row_insert, row_update
from cases.models import Case, Channel
from tests.builders import make_case
from workflows import registry
from workflows.models import Clock
from workflows.spec import ClockKind

pytestmark = pytest.mark.django_db


def _columns(obj):
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in type(obj)._meta.concrete_fields}


def test_an_update_writes_the_named_fields_only_as_save_does():
    by_save = make_case()
    by_row = make_case(case_type=by_save.case_type)
    for case in (by_save, by_row):
        case.closed_on = dt.date(2026, 3, 4)
        case.outcome = "not-written"  # changed on the object, not named: stays as stored
    by_save.save(update_fields=["closed_on"])
    with CaptureQueriesContext(connection) as captured:
        row_update(by_row, ["closed_on"])
    assert len(captured) == 1
    saved, rowed = _columns(by_save), _columns(by_row)
    assert rowed["closed_on"] == saved["closed_on"] == dt.date(2026, 3, 4)
    assert rowed["outcome"] == saved["outcome"] == ""
    unchanged = {k for k in saved if k not in {"id", "reference", "token_digest", "answers"}}
    assert {k: rowed[k] for k in unchanged} == {k: saved[k] for k in unchanged}


def test_an_update_of_a_row_that_is_gone_fails_as_save_does():
    clock = Clock.objects.get(case=make_case(), kind=ClockKind.ACKNOWLEDGE)
    Clock.objects.filter(pk=clock.pk)._raw_delete(clock._state.db)
    clock.met = True
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        clock.save(update_fields=["met"])
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        row_update(clock, ["met"])


@pytest.mark.parametrize(
    ("name", "refused"), [("id", ValueError), ("no_such_field", FieldDoesNotExist)]
)
def test_only_a_column_other_than_the_key_is_updated(name, refused):
    case = make_case()
    with pytest.raises(refused):
        row_update(case, [name])


def test_an_insert_makes_the_row_save_would_and_sets_its_key():
    case = make_case()
    Clock.objects.filter(case=case).delete()
    clocks = [
        Clock(case=case, kind=ClockKind.ACKNOWLEDGE, started_on=dt.date(2026, 1, 5),
              due_on=dt.date(2026, 1, 12)),
        Clock(case=case, kind=ClockKind.FEEDBACK, started_on=dt.date(2026, 1, 5),
              due_on=dt.date(2026, 4, 5), working_days=True),
    ]  # fmt: skip
    clocks[0].save(force_insert=True)
    with CaptureQueriesContext(connection) as captured:
        row_insert(clocks[1])
    assert len(captured) == 1
    made = clocks[1]
    assert isinstance(made.pk, int) and made.pk > clocks[0].pk
    assert not made._state.adding and made._state.db == "default"
    stored = _columns(made)
    assert stored == {f.attname: getattr(made, f.attname) for f in Clock._meta.concrete_fields}
    assert stored["working_days"] is True and stored["stopped_on"] is None
    with pytest.raises(ValueError, match="new row"):
        row_insert(made)  # saved already


def test_nothing_but_simple_history_listens_for_the_saves_written_as_statements():
    # history_save writes the case and its clocks with these statements, which send neither
    # signal: a receiver added for them would silently miss a workflow step's saves.
    models = [Case, Clock, *(registry.model_of(spec.key) for spec in registry.specs())]
    for signal in (pre_save, post_save):
        for model in models:
            sync, asynchronous = signal._live_receivers(model)  # Django's own list of them
            others = [
                r for r in [*sync, *asynchronous]
                if not isinstance(getattr(r, "__self__", None), HistoricalRecords)
            ]  # fmt: skip
            assert others == [], (signal, model, others)


def test_an_insert_of_an_object_with_its_own_key_sends_the_key():

    made = make_case()
    own = uuid.uuid4()
    new = Case(
        id=own,
        case_type=made.case_type,
        reference="ROWWRITE1",
        received_on=made.received_on,
        answers=made.answers,
        token_digest=os.urandom(32),
        channel=Channel.PHONE,  # a field with a database default: the object's value is kept
    )
    with CaptureQueriesContext(connection) as captured:
        row_insert(new)
    assert len(captured) == 1
    assert new.pk == own and not new._state.adding
    stored = Case.objects.get(pk=own)
    assert (stored.reference, stored.case_type_id, stored.state, stored.channel) == (
        "ROWWRITE1", made.case_type_id, "received", Channel.PHONE,
    )  # fmt: skip
    assert new.channel == Channel.PHONE
    with pytest.raises(ValueError, match="new row"):
        row_insert(new)  # saved already


def test_a_field_left_to_its_database_default_gets_that_default():
    made = make_case()
    channel = Case._meta.get_field("channel")
    new = Case(
        id=uuid.uuid4(),
        case_type=made.case_type,
        reference="ROWWRITE2",
        received_on=made.received_on,
        answers=made.answers,
        token_digest=os.urandom(32),
    )
    # As Django leaves a field with a database default and no value.
    new.channel = DatabaseDefault(Value(Channel.WEB), output_field=channel)
    row_insert(new)
    assert Case.objects.get(pk=new.pk).channel == new.channel == Channel.WEB


def test_a_database_default_that_is_not_a_constant_is_refused(monkeypatch):
    made = make_case()
    channel = Case._meta.get_field("channel")
    expression = Lower(Value("WEB"))
    monkeypatch.setattr(channel, "db_default", expression)
    new = Case(
        id=uuid.uuid4(), case_type=made.case_type, reference="ROWWRITE3",
        received_on=made.received_on, answers=made.answers, token_digest=os.urandom(32),
    )  # fmt: skip
    new.channel = DatabaseDefault(expression, output_field=channel)
    with pytest.raises(ValueError, match="not a constant"):
        row_insert(new)
    assert not Case.objects.filter(pk=new.pk).exists()
