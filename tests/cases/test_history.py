import datetime as dt
import io

import pytest
from django.apps import apps
from django.utils import timezone

from cases.exceptions import HistoryBypassError
from cases.history import HistoryManagerOnce
from cases.models import Action, Case, CaseType, Category, Message, MessageKind, OrganisationalUnit
from cases.services import action_add, action_complete, evidence_attach, message_add
from tests.builders import make_case, make_handler
from workflows.services import case_transition


def tracked_models():
    return sorted(
        (m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")),
        key=lambda m: m._meta.label,
    )


def test_every_case_record_model_is_tracked():
    labels = {m._meta.label for m in tracked_models()}
    assert labels >= {
        "cases.Case",
        "cases.Message",
        "cases.Evidence",
        "cases.Action",
        "cases.CaseType",
        "cases.Category",
        "cases.OrganisationalUnit",
    }
    # Data keys must never be copied into history: that would defeat crypto-shredding.
    assert "cases.DataKey" not in labels


def test_every_tracked_model_makes_its_history_managers_class_once():
    # A model declared with simple-history's own HistoricalRecords would build a new manager
    # class on every access (cases/history.py): each must be declared with history_records.
    for model in tracked_models():
        manager = getattr(model, model._meta.simple_history_manager_attribute)
        assert isinstance(manager, HistoryManagerOnce), model._meta.label
        again = getattr(model, model._meta.simple_history_manager_attribute)
        assert type(again) is type(manager), model._meta.label


@pytest.mark.django_db
def test_each_instances_history_is_still_its_own(staff_user):
    one, other = make_case(), make_case()
    case_transition(case=one, name="acknowledge", actor=make_handler(one, "worker"))

    assert type(one.history) is type(other.history)
    assert [h.state for h in Case.objects.get(pk=one.pk).history.order_by("history_date")] == [
        "received",
        "acknowledged",
    ]
    assert [h.state for h in Case.objects.get(pk=other.pk).history.all()] == ["received"]
    assert Case.history.filter(id__in=[one.pk, other.pk]).count() == 3


@pytest.mark.django_db
def test_every_write_to_a_tracked_model_records_history(staff_user):
    case_type = CaseType.objects.create(
        slug="wb", name="Whistleblowing", workflow="whistleblowing", retention_days=30
    )
    case_type.name = "Whistleblowing concerns"
    case_type.save(update_fields=["name"])
    assert case_type.history.count() == 2

    category = Category.objects.create(case_type=case_type, slug="fraud", name="Fraud")
    unit = OrganisationalUnit.objects.create(slug="hq", name="Head office")
    assert category.history.count() == 1 and unit.history.count() == 1

    case = make_case(case_type=case_type, category=category, org_unit=unit)
    assert case.history.count() == 1
    case = case_transition(case=case, name="acknowledge", actor=make_handler(case, "worker"))
    assert Case.objects.get(pk=case.pk).history.count() == 2
    latest = case.history.latest()
    assert latest.state == "acknowledged" and latest.history_type == "~"

    message = message_add(case=case, kind=MessageKind.TO_REPORTER, body="hi", author=staff_user)
    assert message.history.count() == 1
    evidence = evidence_attach(
        case=case,
        source=io.BytesIO(b"x"),
        original_name="x",
        content_type="x/y",
        added_by=staff_user,
    )
    assert evidence.history.count() == 1
    action = action_add(case=case, title="Call back", actor=staff_user, due_on=dt.date(2027, 1, 4))
    action_complete(action=action, actor=staff_user)
    assert action.history.count() == 2


@pytest.mark.django_db
def test_reporter_originated_history_is_stored_to_the_day(staff_user):
    case = make_case()
    message = message_add(case=case, kind=MessageKind.FROM_REPORTER, body="hello")
    for record in (case.history.earliest(), message.history.earliest()):
        assert timezone.localtime(record.history_date).time() == dt.time(0, 0)
    assert message.created_at == case.history.earliest().history_date


@pytest.mark.django_db
@pytest.mark.parametrize("model", tracked_models(), ids=lambda m: m._meta.label)
def test_bulk_writes_on_tracked_models_are_refused(model):
    with pytest.raises(HistoryBypassError):
        model.objects.all().update(pk=None)
    with pytest.raises(HistoryBypassError):
        model.objects.bulk_update([], ["pk"])
    with pytest.raises(HistoryBypassError):
        model.objects.bulk_create([])


@pytest.mark.django_db
def test_a_refused_bulk_update_changes_nothing(case):
    with pytest.raises(HistoryBypassError):
        Case.objects.filter(pk=case.pk).update(reporter_named=True)
    assert Case.objects.get(pk=case.pk).reporter_named is False
    with pytest.raises(HistoryBypassError):
        Message.objects.filter(case=case).update(kind=MessageKind.INTERNAL_NOTE)
    with pytest.raises(HistoryBypassError):
        Action.objects.filter(case=case).update(due_on=None)
