"""Tampering with the audit record as the database's owner, with raw SQL and the triggers out
of the way: ``audit_verify`` names every change, removal, insertion, reordering and
truncation. The same table runs on SQLite and on PostgreSQL (as the owner role)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.audit import REFUSAL_CHAIN, audit_verify
from permissions.access import record_refusal
from permissions.models import AccessRefusal
from tests.cases.conftest import make_scene, tamperer, truncate, with_owner


def _refusals(actor, count: int = 3) -> list[int]:
    for n in range(count):
        record_refusal(actor, None, f"view-{n}")
    return list(AccessRefusal.objects.order_by("seq").values_list("id", flat=True))


def change_an_event(cur, s, r):
    cur.execute("UPDATE cases_caseevent SET code = 'case.recused' WHERE id = %s", [s.events[1]])


def change_an_events_time(cur, s, r):
    cur.execute(
        "UPDATE cases_caseevent SET at = %s WHERE id = %s",
        [timezone.now() - dt.timedelta(days=400), s.events[2]],
    )


def delete_an_event(cur, s, r):
    cur.execute("DELETE FROM cases_caseevent WHERE id = %s", [s.events[1]])


def delete_the_newest_event(cur, s, r):
    cur.execute("DELETE FROM cases_caseevent WHERE id = %s", [s.events[3]])


def insert_an_event(cur, s, r):
    # A copy of the newest event, put after it: its link cannot be forged without the key.
    cur.execute(
        "INSERT INTO cases_caseevent (case_id, code, actor_id, at, payload, seq, mac) "
        "SELECT case_id, 'case.viewed', actor_id, at, payload, seq + 1, mac "
        "FROM cases_caseevent WHERE id = %s",
        [s.events[3]],
    )


def swap_two_events_places(cur, s, r):
    second, third = s.events[1], s.events[2]
    cur.execute("UPDATE cases_caseevent SET seq = 100 WHERE id = %s", [second])
    cur.execute("UPDATE cases_caseevent SET seq = 2 WHERE id = %s", [third])
    cur.execute("UPDATE cases_caseevent SET seq = 3 WHERE id = %s", [second])


def swap_two_events_ids(cur, s, r):
    second, third = s.events[1], s.events[2]
    cur.execute("UPDATE cases_caseevent SET id = -1 WHERE id = %s", [second])
    cur.execute("UPDATE cases_caseevent SET id = %s WHERE id = %s", [second, third])
    cur.execute("UPDATE cases_caseevent SET id = %s WHERE id = -1", [third])


def move_an_event_to_another_case(cur, s, r):
    cur.execute(
        "UPDATE cases_caseevent SET seq = 3, case_id = "
        "(SELECT case_id FROM cases_caseevent WHERE seq = 1 AND id < %s) WHERE id = %s",
        [s.events[0], s.events[3]],
    )


def truncate_the_events(cur, s, r):
    truncate(cur, "cases_caseevent")


def delete_an_events_head(cur, s, r):
    cur.execute("DELETE FROM cases_audithead WHERE chain = %s", [s.chain])


def delete_a_case_chain_and_its_head(cur, s, r):
    cur.execute(
        "DELETE FROM cases_caseevent WHERE case_id = (SELECT case_id FROM "
        "cases_caseevent WHERE id = %s)",
        [s.events[0]],
    )
    cur.execute("DELETE FROM cases_audithead WHERE chain = %s", [s.chain])


def change_a_refusal(cur, s, r):
    cur.execute("UPDATE permissions_accessrefusal SET action = 'edit' WHERE id = %s", [r[0]])


def delete_a_refusal(cur, s, r):
    cur.execute("DELETE FROM permissions_accessrefusal WHERE id = %s", [r[1]])


def insert_a_refusal(cur, s, r):
    cur.execute(
        "INSERT INTO permissions_accessrefusal (actor_id, case_id, action, at, seq, mac) "
        "SELECT actor_id, case_id, 'view', at, seq + 1, mac "
        "FROM permissions_accessrefusal WHERE id = %s",
        [r[2]],
    )


def truncate_the_refusals(cur, s, r):
    truncate(cur, "permissions_accessrefusal")


# What each tampering must be reported as, worked out by hand from the rule: a link covers
# its contents, its place and the link before it; ids rise with places; the head holds the
# newest link. (s: the scene, c: the case's chain, o: the other case's chain.)
TAMPERING = {
    change_an_event: lambda c, o: {f"{c} link 2: does not match its contents or place"},
    change_an_events_time: lambda c, o: {f"{c} link 3: does not match its contents or place"},
    delete_an_event: lambda c, o: {
        f"{c} link 3: found where link 2 belongs",
        f"{c} link 3: does not match its contents or place",
    },
    delete_the_newest_event: lambda c, o: {f"{c}: ends at link 3 but its head is at link 4"},
    insert_an_event: lambda c, o: {
        f"{c} link 5: does not match its contents or place",
        f"{c}: ends at link 5 but its head is at link 4",
    },
    swap_two_events_places: lambda c, o: {
        f"{c} link 2: does not match its contents or place",
        f"{c} link 3: stored out of order",
        f"{c} link 3: does not match its contents or place",
        f"{c} link 4: does not match its contents or place",
    },
    swap_two_events_ids: lambda c, o: {f"{c} link 3: stored out of order"},
    move_an_event_to_another_case: lambda c, o: {
        f"{c}: ends at link 3 but its head is at link 4",
        f"{o} link 3: does not match its contents or place",
        f"{o}: ends at link 3 but its head is at link 2",
    },
    truncate_the_events: lambda c, o: {
        f"{c}: ends at link 0 but its head is at link 4",
        f"{o}: ends at link 0 but its head is at link 2",
    },
    delete_an_events_head: lambda c, o: {
        f"{c}: has no head record",
        "audit: 4 link(s) fewer than at the last verification",
    },
    delete_a_case_chain_and_its_head: lambda c, o: {
        f"{c}: has no audit events at all",
        "audit: 4 link(s) fewer than at the last verification",
    },
    change_a_refusal: lambda c, o: {
        f"{REFUSAL_CHAIN} link 1: does not match its contents or place"
    },
    delete_a_refusal: lambda c, o: {
        f"{REFUSAL_CHAIN} link 3: found where link 2 belongs",
        f"{REFUSAL_CHAIN} link 3: does not match its contents or place",
    },
    insert_a_refusal: lambda c, o: {
        f"{REFUSAL_CHAIN} link 4: does not match its contents or place",
        f"{REFUSAL_CHAIN}: ends at link 4 but its head is at link 3",
    },
    truncate_the_refusals: lambda c, o: {
        f"{REFUSAL_CHAIN}: ends at link 0 but its head is at link 3"
    },
}


@with_owner
@pytest.mark.parametrize("tamper", list(TAMPERING), ids=lambda t: t.__name__)
def test_tampering_by_the_owner_is_found(tamper, staff_user):
    scene = make_scene(staff_user)
    refusals = _refusals(staff_user)
    before = audit_verify()
    assert (before.record.ok, before.problems) == (True, [])
    with tamperer() as cursor:
        tamper(cursor, scene, refusals)
    report = audit_verify()
    assert not report.record.ok
    assert {str(p) for p in report.problems} == TAMPERING[tamper](scene.chain, scene.other_chain)
