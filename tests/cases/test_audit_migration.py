"""Events and refusals recorded before the chains existed are linked when the migrations that
bring them run, and unlinked again (to the old schema) when those are reversed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.audit import audit_verify
from cases.dbroles import app_role_grant, connected_as_owner
from cases.models import CaseEvent
from permissions.access import record_refusal
from permissions.models import AccessRefusal
from tests.cases.conftest import make_scene, migrating

BEFORE_CHAINS = [
    ("cases", "0006_casetype_stage_limits_and_more"),
    ("permissions", "0002_caseuserpermission_expires_on_accessrefusal_and_more"),
]


def _migrate(connection, targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _columns(connection, table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


@migrating
@pytest.mark.slow
def test_records_made_before_the_chains_are_linked_in_order_by_the_migration(staff_user):
    make_scene(staff_user)
    for action in ("view", "history"):
        record_refusal(staff_user, None, action)
    events = list(CaseEvent.objects.order_by("id").values_list("id", "seq", "mac"))
    refusals = list(AccessRefusal.objects.order_by("id").values_list("id", "seq", "mac"))
    with connected_as_owner() as owner:
        _migrate(owner, BEFORE_CHAINS)
        assert {"seq", "mac"}.isdisjoint(_columns(owner, "cases_caseevent"))
        assert {"seq", "mac"}.isdisjoint(_columns(owner, "permissions_accessrefusal"))
        _migrate(owner)
    if connection.vendor == "postgresql":
        app_role_grant(using="owner")  # as every migrate by the owner does
    # The same links as when the rows were first written: the links cover the same things.
    assert list(CaseEvent.objects.order_by("id").values_list("id", "seq", "mac")) == events
    assert list(AccessRefusal.objects.order_by("id").values_list("id", "seq", "mac")) == refusals
    assert audit_verify().problems == []
