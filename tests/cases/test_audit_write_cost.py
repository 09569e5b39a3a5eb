"""What recording an event costs the database (migration 0023, decision 0039): no index the
event's reads do not need, and chain heads moved in place."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.audit import event_record
from cases.models import CaseEvent


def _indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: info["columns"]
        for name, info in found.items()
        if (info["index"] or info["unique"]) and not info["primary_key"]
    }


def test_an_event_is_indexed_by_case_only_with_its_order_or_its_place(db):
    columns = sorted(c for c in _indexes(CaseEvent._meta.db_table).values() if "case_id" in c)
    # The plain index on case_id is gone; both left begin with it, so lookups by case use them.
    assert columns == [["case_id", "id"], ["case_id", "seq"]]


def test_the_event_triggers_survive_the_migration_on_sqlite(db, case):
    """The index was dropped by name, so SQLite's table (and its append-only triggers) was
    not remade. (On PostgreSQL the application's role may not update events at all, and
    dropping an index leaves a table's triggers alone.)"""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite remakes a table to change a column")
    event_record(case=case, code="case.viewed")
    event = CaseEvent.objects.filter(case=case).last()
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET code = 'x' WHERE id = %s", [event.pk])


@pytest.mark.postgres
def test_moving_a_chain_head_is_a_heap_only_update(db, case):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'cases_audithead'")
        assert cursor.fetchone() == (["fillfactor=70"],)
    event_record(case=case, code="case.viewed")  # the chain's head is made, then moved

    def moved() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                "WHERE relname = 'cases_audithead'"
            )
            updates, in_place = cursor.fetchone()
            return int(updates), int(in_place)

    updates, in_place = moved()
    event_record(case=case, code="case.viewed")
    assert moved() == (updates + 1, in_place + 1)
