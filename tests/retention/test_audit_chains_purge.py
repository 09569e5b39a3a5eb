"""The refusals' and staff events' chains lose their links older than the audit record's own
period: oldest first and in order, checked before they go, the chain's head sealed as purged
through the last of them so ``audit_verify`` still holds; through the command, the nightly
task, the dry run and the preview page; and still append-only to the application."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cases.audit import REFUSAL_CHAIN, audit_verify
from cases.models import AuditHead
from permissions.access import record_refusal
from permissions.audit import STAFF_CHAIN, staff_event_record
from permissions.models import AccessRefusal, StaffEvent
from retention.events import audit_chain_links_due, audit_chains_purge
from retention.tasks import purge_expired_cases
from tests.cases.conftest import tamperer, two_roles, with_owner  # noqa: F401 (a fixture)
from tests.retention.test_purge_faults import row_counts


def refusals_at(user, age: dt.timedelta, *actions: str) -> None:
    with time_machine.travel(timezone.now() - age, tick=False):
        for action in actions:
            record_refusal(user, None, action)


def staff_events_at(user, age: dt.timedelta, *roles: str) -> None:
    with time_machine.travel(timezone.now() - age, tick=False):
        for role in roles:
            staff_event_record(code="role.granted", actor=None, user=user, payload={"role": role})


def refusal_actions() -> list[str]:
    return list(AccessRefusal.objects.order_by("seq").values_list("action", flat=True))


def roles_granted() -> list[str]:
    return [
        payload["role"]
        for payload in StaffEvent.objects.filter(code="role.granted")
        .order_by("seq")
        .values_list("payload", flat=True)
    ]


YEARS_7 = dt.timedelta(days=7 * 365)
YEARS_5 = dt.timedelta(days=5 * 365)
DAYS_0 = dt.timedelta(0)


@pytest.fixture
def history(staff_user):
    """Refusals and staff events of seven, five and no years ago (the period is six)."""
    refusals_at(staff_user, YEARS_7, "old-1", "old-2", "old-3")
    refusals_at(staff_user, YEARS_5, "mid-1", "mid-2")
    refusals_at(staff_user, DAYS_0, "new-1")
    staff_events_at(staff_user, YEARS_7, "old-a", "old-b")
    staff_events_at(staff_user, YEARS_5, "mid-a")
    return staff_user


@pytest.mark.django_db
def test_the_command_removes_the_links_older_than_the_setting_and_the_chains_still_verify(
    history, settings
):
    assert settings.SPEAKUP_AUDIT_RETENTION_DAYS == 6 * 365
    staff_head = AuditHead.objects.get(chain=STAFF_CHAIN)
    out = StringIO()
    call_command("purge_cases", stdout=out)
    assert (
        "Removed 3 record(s) of refused access and 2 staff event(s) older than 2190 days."
        in out.getvalue()
    )
    assert refusal_actions() == ["mid-1", "mid-2", "new-1"]
    assert roles_granted() == ["mid-a"]
    refusals = AuditHead.objects.get(chain=REFUSAL_CHAIN)
    assert (refusals.seq, refusals.purged_through) == (6, 3)
    assert AuditHead.objects.get(chain=STAFF_CHAIN).purged_through == staff_head.seq - 1
    run = StaffEvent.objects.get(code="retention.audit_chains_purged")
    assert run.payload == {"refusals": 3, "staff_events": 2}
    assert audit_verify().problems == []
    # Nothing left to do: the next run removes nothing and records no run.
    assert audit_chains_purge().removed == {REFUSAL_CHAIN: 0, STAFF_CHAIN: 0}
    assert StaffEvent.objects.filter(code="retention.audit_chains_purged").count() == 1


@pytest.mark.django_db
def test_a_shorter_setting_takes_more_but_never_a_link_under_a_year_old(history, settings):
    settings.SPEAKUP_AUDIT_RETENTION_DAYS = 4 * 365
    assert audit_chains_purge().removed == {REFUSAL_CHAIN: 5, STAFF_CHAIN: 3}
    assert refusal_actions() == ["new-1"]
    settings.SPEAKUP_AUDIT_RETENTION_DAYS = 365  # the least the settings allow
    assert audit_chains_purge().removed == {REFUSAL_CHAIN: 0, STAFF_CHAIN: 0}
    assert refusal_actions() == ["new-1"]
    assert AuditHead.objects.get(chain=REFUSAL_CHAIN).purged_through == 5
    assert audit_verify().problems == []


@pytest.mark.django_db
def test_a_link_is_kept_while_an_earlier_one_is_young_enough(staff_user):
    """Links go in order: one recorded after a younger link waits for it (their times are
    read before the chain's lock, so a slow request can record an older time later)."""
    refusals_at(staff_user, YEARS_7, "old-1")
    refusals_at(staff_user, DAYS_0, "new-1")
    refusals_at(staff_user, YEARS_7, "old-2")
    assert audit_chain_links_due()[REFUSAL_CHAIN] == 1
    assert audit_chains_purge().removed[REFUSAL_CHAIN] == 1
    assert refusal_actions() == ["new-1", "old-2"]
    assert audit_verify().problems == []


@pytest.mark.django_db
def test_batches_of_links_each_verify_from_where_the_last_ended(history):
    assert audit_chains_purge(batch_size=2).removed == {REFUSAL_CHAIN: 3, STAFF_CHAIN: 2}
    assert AuditHead.objects.get(chain=REFUSAL_CHAIN).purged_through == 3
    assert audit_verify().problems == []


@pytest.mark.django_db
def test_the_dry_run_counts_exactly_what_goes_and_changes_nothing(history):
    counts = row_counts()
    out = StringIO()
    call_command("purge_cases", "--dry-run", stdout=out)
    assert row_counts() == counts
    assert (
        "3 record(s) of refused access and 2 staff event(s) older than that would be removed."
        in out.getvalue()
    )
    assert audit_chain_links_due() == {REFUSAL_CHAIN: 3, STAFF_CHAIN: 2}
    assert audit_chains_purge().removed == {REFUSAL_CHAIN: 3, STAFF_CHAIN: 2}


@pytest.mark.django_db
def test_the_preview_page_says_how_many_go_and_changes_nothing(cast, sign_in, client):
    refusals_at(cast.unassigned_handler, YEARS_7, "old-1", "old-2")
    refusals_at(cast.unassigned_handler, DAYS_0, "new-1")
    sign_in(cast.administrator)
    page = client.get("/staff/retention/preview/")
    assert (page.context["refusals_due"], page.context["staff_events_due"]) == (2, 0)
    text = " ".join(page.content.decode().split())
    assert (
        "2 records of refused attempts to open a case and 0 staff events (roles, teams, "
        "accounts) are older than 2190 days and go on the next run." in text
    )
    assert refusal_actions()[:3] == ["old-1", "old-2", "new-1"]


@pytest.mark.django_db
def test_the_nightly_task_removes_them_too(history):
    purge_expired_cases()
    assert refusal_actions() == ["mid-1", "mid-2", "new-1"]
    assert roles_granted() == ["mid-a"]


@pytest.mark.django_db
def test_a_batch_that_fails_removes_nothing_and_the_rerun_does_it_once(history, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("killed")

    monkeypatch.setattr("retention.events._links_delete", broken)
    with pytest.raises(DatabaseError):
        audit_chains_purge()
    monkeypatch.undo()
    assert len(refusal_actions()) == 6
    assert AuditHead.objects.get(chain=REFUSAL_CHAIN).purged_through == 0
    assert audit_chains_purge().removed == {REFUSAL_CHAIN: 3, STAFF_CHAIN: 2}
    assert audit_verify().problems == []


@with_owner
def test_a_tampered_old_link_is_kept_with_its_chain_and_the_command_says_so(staff_user):
    """A purge must never take the evidence of tampering away with the links it removes."""
    refusals_at(staff_user, YEARS_7, "old-1", "old-2", "old-3")
    staff_events_at(staff_user, YEARS_7, "old-a")
    with tamperer() as cursor:
        cursor.execute("UPDATE permissions_accessrefusal SET action = 'edited' WHERE seq = 2")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="refusals: 1 problem"):
        call_command("purge_cases", stdout=out, stderr=err)
    assert refusal_actions() == ["old-1", "edited", "old-3"]
    assert AuditHead.objects.get(chain=REFUSAL_CHAIN).purged_through == 0
    assert "old-a" not in roles_granted()  # the other chain went on
    assert [str(p) for p in audit_verify().problems] == [
        "refusals link 2: does not match its contents or place"
    ]


@with_owner
def test_old_links_removed_by_hand_with_a_forged_purge_mark_are_found(staff_user):
    refusals_at(staff_user, YEARS_7, "old-1", "old-2")
    with tamperer() as cursor:
        cursor.execute("DELETE FROM permissions_accessrefusal WHERE seq = 1")
        cursor.execute(
            "UPDATE cases_audithead SET purged_through = 1, purged_mac = %s, purged_seal = %s "
            "WHERE chain = %s",
            ["0" * 64, "0" * 64, REFUSAL_CHAIN],
        )
    assert [str(p) for p in audit_verify().problems] == [
        "refusals: its purge record does not match",
        "refusals link 2: does not match its contents or place",
    ]


# --- Still append-only to everyone else -------------------------------------------------------


@pytest.mark.django_db
def test_a_plain_delete_of_refusals_or_staff_events_is_still_refused_after_a_purge(history):
    audit_chains_purge()
    for table in ("permissions_accessrefusal", "permissions_staffevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # as the application's role, even if it asks
                cursor.execute(f"SET LOCAL speakup.audit_chain_purge = '{table}'")
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a fixed name)
    assert refusal_actions() == ["mid-1", "mid-2", "new-1"]


@pytest.mark.postgres
@pytest.mark.usefixtures("two_roles")
@pytest.mark.django_db
def test_the_owners_function_keeps_links_under_a_year_old_and_touches_no_other_table(
    staff_user,
):
    refusals_at(staff_user, dt.timedelta(days=300), "recent-1", "recent-2")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0].endswith("_app")
        # The caller asks for everything until now: the function keeps its one-year floor.
        cursor.execute(
            "SELECT retention_audit_chain_purge('permissions_accessrefusal', 100, now())"
        )
        assert cursor.fetchone()[0] == 0
        with pytest.raises(DatabaseError, match="not a chained audit table"), transaction.atomic():
            cursor.execute("SELECT retention_audit_chain_purge('cases_caseevent', 100, now())")
    assert refusal_actions() == ["recent-1", "recent-2"]
