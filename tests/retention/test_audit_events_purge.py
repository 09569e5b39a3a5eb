"""A purged case's audit events go after their own, longer period: through the command, the
nightly task and its dry run and preview page; the chain's head shows the purge, sealed; and
the application's role still may not delete an audit row itself."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cases.audit import audit_verify, case_chain
from cases.models import AuditHead, Case, CaseEvent
from permissions.models import StaffEvent
from retention.events import audit_events_purge
from retention.models import DeletionRecord
from retention.purge import purge_due_cases
from retention.tasks import purge_expired_cases
from tests.builders import make_case, make_case_type
from tests.cases.conftest import tamperer, two_roles, with_owner  # noqa: F401 (a fixture)
from tests.retention.conftest import close
from tests.retention.test_purge_faults import row_counts

YEARS_AGO_7 = dt.timedelta(days=7 * 365)
YEARS_AGO_2 = dt.timedelta(days=2 * 365)


def purged_cases(*ages: dt.timedelta) -> list[Case]:
    """Cases purged as long ago as ``ages`` say (their deletion records moved back)."""
    case_type = make_case_type(retention_days=30)
    cases = [close(make_case(case_type=case_type)) for _ in ages]
    purge_due_cases(today=timezone.localdate() + dt.timedelta(days=31))
    for case, age in zip(cases, ages, strict=True):
        DeletionRecord.objects.filter(case=case).update(purged_at=timezone.now() - age)
    return cases


def events_of(case: Case) -> int:
    return CaseEvent.objects.filter(case=case).count()


@pytest.mark.django_db
def test_the_command_removes_the_events_of_cases_purged_longer_ago_than_the_setting(settings):
    assert settings.SPEAKUP_AUDIT_RETENTION_DAYS == 6 * 365  # the default
    old, recent = purged_cases(YEARS_AGO_7, YEARS_AGO_2)
    had = events_of(old)
    head_before = AuditHead.objects.get(chain=case_chain(old.pk))
    assert had >= 3  # created, the steps to closure, purged
    out = StringIO()
    call_command("purge_cases", stdout=out)
    assert "Removed 0 audit event(s)" not in out.getvalue()
    assert f"Removed {had} audit event(s) of 1 case(s)" in out.getvalue()
    assert events_of(old) == 0
    assert events_of(recent) > 0
    record = DeletionRecord.objects.get(case=old)
    assert record.audit_events == had
    assert record.audit_events_purged_at is not None
    assert DeletionRecord.objects.get(case=recent).audit_events_purged_at is None
    head = AuditHead.objects.get(chain=case_chain(old.pk))
    assert (head.seq, head.mac) == (head_before.seq, head_before.mac)
    assert (head.purged_through, head.purged_mac) == (head_before.seq, head_before.mac)
    run = StaffEvent.objects.get(code="retention.audit_events_purged")
    assert run.payload == {"cases": 1, "events": had}
    assert audit_verify().problems == []
    # Nothing left to do: the next run removes nothing and records no run.
    assert audit_events_purge().cases == 0
    assert StaffEvent.objects.filter(code="retention.audit_events_purged").count() == 1


@pytest.mark.django_db
def test_a_longer_setting_keeps_them(settings):
    (old,) = purged_cases(YEARS_AGO_7)
    settings.SPEAKUP_AUDIT_RETENTION_DAYS = 8 * 365
    assert audit_events_purge().cases == 0
    assert events_of(old) > 0


@pytest.mark.django_db
def test_the_dry_run_lists_exactly_the_cases_whose_events_go_and_changes_nothing():
    old, recent = purged_cases(YEARS_AGO_7, YEARS_AGO_2)
    counts = row_counts()
    out = StringIO()
    call_command("purge_cases", "--dry-run", stdout=out)
    assert row_counts() == counts
    listing = out.getvalue().split("would lose their audit events")[1]
    assert f"{old.reference} {old.pk}" in listing
    assert str(recent.pk) not in listing
    assert "1 purged case(s) would lose their audit events" in out.getvalue()


@pytest.mark.django_db
def test_the_nightly_task_removes_them_too():
    (old,) = purged_cases(YEARS_AGO_7)
    purge_expired_cases()
    assert events_of(old) == 0
    assert DeletionRecord.objects.get(case=old).audit_events_purged_at is not None


@pytest.mark.django_db
def test_the_preview_page_lists_the_cases_whose_events_go(cast, sign_in, client):
    old, recent = purged_cases(YEARS_AGO_7, YEARS_AGO_2)
    sign_in(cast.administrator)
    page = client.get("/staff/retention/preview/")
    assert page.context["stripped"] == [(old.pk, old.reference)]
    assert page.context["audit_days"] == 6 * 365
    assert old.reference in page.content.decode()
    assert recent.reference not in page.content.decode()
    assert events_of(old) > 0  # the page changed nothing


@pytest.mark.django_db
def test_a_batch_that_fails_removes_nothing_and_the_rerun_does_it_once(monkeypatch):
    cases = purged_cases(YEARS_AGO_7, YEARS_AGO_7, YEARS_AGO_7)
    had = {case.pk: events_of(case) for case in cases}

    def broken(*args, **kwargs):
        raise DatabaseError("killed")

    monkeypatch.setattr("retention.events.DeletionRecord.objects.bulk_update", broken)
    with pytest.raises(DatabaseError):
        audit_events_purge(batch_size=2)
    monkeypatch.undo()
    assert {case.pk: events_of(case) for case in cases} == had
    assert not AuditHead.objects.filter(purged_through__gt=0).exists()
    assert audit_events_purge(batch_size=2).cases == 3
    assert dict(DeletionRecord.objects.values_list("case_id", "audit_events")) == had
    assert audit_verify().problems == []


@pytest.mark.django_db
def test_a_live_case_an_application_slip_marks_as_purged_still_keeps_its_events():
    """Heads are the application's to update; marking one purged removes nothing and is found."""
    case = make_case()
    AuditHead.objects.filter(chain=case_chain(case.pk)).update(purged_through=1)
    assert events_of(case) == 1
    assert [str(p) for p in audit_verify().problems] == [
        f"{case_chain(case.pk)}: its purge record does not match",
        f"{case_chain(case.pk)} link 1: found where link 2 belongs",
    ]


@with_owner
def test_events_removed_by_hand_with_a_forged_purge_mark_are_found(staff_user):
    case = make_case()
    head = AuditHead.objects.get(chain=case_chain(case.pk))
    with tamperer() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s", [case.pk.hex])
        cursor.execute(
            "UPDATE cases_audithead SET purged_through = seq, purged_mac = mac, "
            "purged_seal = %s WHERE chain = %s",
            ["0" * 64, head.chain],
        )
    assert [str(p) for p in audit_verify().problems] == [
        f"{head.chain}: its purge record does not match"
    ]


# --- Still append-only to everyone else -------------------------------------------------------


@pytest.mark.django_db
def test_a_plain_delete_of_audit_rows_is_still_refused_after_a_purge():
    (old,) = purged_cases(YEARS_AGO_7)
    other = make_case()
    audit_events_purge()
    assert events_of(old) == 0
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # as the application's role, even if it asks
            cursor.execute("SET LOCAL speakup.case_events_purge = 'on'")
        cursor.execute("DELETE FROM cases_caseevent")
    assert events_of(other) == 1


@pytest.mark.postgres
@pytest.mark.usefixtures("two_roles")
@pytest.mark.django_db
def test_the_owners_function_removes_nothing_of_a_case_purged_less_than_a_year_ago():
    (recent,) = purged_cases(dt.timedelta(days=300))
    had = events_of(recent)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0].endswith("_app")
        # The caller asks for everything purged until now: the function keeps its floor.
        cursor.execute(
            "SELECT retention_case_events_purge(%s::uuid[], now())", [[recent.pk, make_case().pk]]
        )
        assert cursor.fetchone()[0] == 0
    assert events_of(recent) == had
