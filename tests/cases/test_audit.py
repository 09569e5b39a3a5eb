import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cases.audit import REGISTRY, event_record, event_sentence
from cases.exceptions import AuditRecordImmutable, UnknownAuditEvent
from cases.models import Case, CaseEvent, MessageKind
from cases.services import message_add
from tests.builders import make_case

# The triggers' message, or on PostgreSQL the application role's missing privilege.
REFUSED = "append-only|permission denied"


@pytest.fixture
def event(case):
    return CaseEvent.objects.filter(case=case).first()


@pytest.mark.django_db
def test_a_new_case_has_its_created_event_dated_to_the_day(case):
    event = CaseEvent.objects.get(case=case)
    assert event.code == "case.created"
    assert event.actor is None
    local = timezone.localtime(event.at)
    assert (local.date(), local.time()) == (case.received_on, dt.time(0, 0))


@pytest.mark.django_db
def test_audit_rows_cannot_be_updated_through_the_model(event):
    event.code = "case.viewed"
    with pytest.raises(AuditRecordImmutable):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).code == "case.created"


@pytest.mark.django_db
def test_audit_rows_cannot_be_deleted_through_the_model_or_queryset(event):
    with pytest.raises(AuditRecordImmutable):
        event.delete()
    with pytest.raises(AuditRecordImmutable):
        CaseEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditRecordImmutable):
        CaseEvent.objects.filter(pk=event.pk).update(code="x")
    with pytest.raises(AuditRecordImmutable):
        CaseEvent.objects.bulk_update([event], ["code"])
    assert CaseEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_database_refuses_an_update_of_an_audit_row(event):
    with (
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE cases_caseevent SET code = 'x' WHERE id = %s", [event.pk])
    assert CaseEvent.objects.get(pk=event.pk).code == "case.created"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_a_delete_of_an_audit_row(event):
    with (
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])
    assert CaseEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_a_case_with_events_cannot_be_deleted(case):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Case.objects.filter(pk=case.pk).delete()


@pytest.mark.django_db
def test_an_unregistered_code_is_refused(case):
    with pytest.raises(UnknownAuditEvent):
        event_record(case=case, code="case.teleported")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"undeclared": "x"},
        {"kind": "The reporter said their manager, Jane Smith, shouted at them!"},
        {"kind": ["a", "list"]},
        {"kind": "x" * 65},
    ],
)
def test_payloads_carry_only_declared_identifiers(case, payload):
    with pytest.raises(ValueError):
        event_record(case=case, code="message.added", payload=payload)
    assert CaseEvent.objects.filter(case=case, code="message.added").count() == 0


@pytest.mark.django_db
def test_the_event_is_written_in_the_same_transaction_as_the_change(case, staff_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        message_add(case=case, kind=MessageKind.TO_REPORTER, body="hi", author=staff_user)
        raise RuntimeError("the request failed after the change")
    assert not case.messages.exists()
    assert not CaseEvent.objects.filter(case=case, code="message.added").exists()


@pytest.mark.django_db
def test_each_change_writes_exactly_one_event(case, staff_user):
    before = CaseEvent.objects.filter(case=case).count()
    message_add(case=case, kind=MessageKind.TO_REPORTER, body="hi", author=staff_user)
    events = CaseEvent.objects.filter(case=case).order_by("id")
    assert events.count() == before + 1
    last = events.last()
    assert last is not None
    assert (last.code, last.actor, last.payload) == (
        "message.added",
        staff_user,
        {"kind": "to_reporter"},
    )


def test_every_registered_code_is_dotted_and_has_a_sentence():
    for code, event_type in REGISTRY.items():
        assert code.count(".") == 1 and code == code.lower()
        assert str(event_type.sentence).endswith(".")


@pytest.mark.django_db
def test_events_read_as_sentences_for_the_timeline():
    from tests.builders import make_handler
    from workflows.services import case_transition

    case = make_case()
    handler = make_handler(case)
    case_transition(case=case, name="acknowledge", actor=handler)
    sentences = [event_sentence(e) for e in CaseEvent.objects.filter(case=case).order_by("id")]
    assert sentences[0] == "The case was received."
    assert "handler moved the case from received to acknowledged." in sentences
