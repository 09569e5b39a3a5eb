"""Migration cases/0020 (docs/decisions/0032): every case type that exists gets the seven
outcomes the application offered until then, and an outcome a case has that is not among
them is kept as a retired outcome named by itself, so every case's outcome keeps a label."""

from __future__ import annotations

import pytest
from django.db.migrations.executor import MigrationExecutor

from cases.dbroles import app_role_grant
from cases.models import Case, OutcomeCode
from tests.builders import make_case, make_case_type
from tests.cases.conftest import migrating

BEFORE = [("cases", "0019_case_links")]


def _migrate(connection, targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@migrating
@pytest.mark.slow
def test_every_case_type_gets_the_seven_outcomes_and_odd_ones_are_kept_retired():
    from django.db import connection

    from cases.dbroles import connected_as_owner

    first = make_case_type(slug="first")
    second = make_case_type(slug="second", workflow="bullying")
    odd = make_case(case_type=second)
    with connected_as_owner() as owner:
        _migrate(owner, BEFORE)
        key = Case._meta.pk.get_db_prep_value(odd.pk, owner)
        with owner.cursor() as cursor:
            cursor.execute("UPDATE cases_case SET outcome = %s WHERE id = %s", ["sacked", key])
        _migrate(owner)
    if connection.vendor == "postgresql":
        app_role_grant(using="owner")  # as every migrate by the owner does
    seven = [
        ("substantiated", "Substantiated", True, True, 1),
        ("partly_substantiated", "Partly substantiated", True, True, 2),
        ("not_substantiated", "Not substantiated", False, True, 3),
        ("resolved_informally", "Resolved informally", False, True, 4),
        ("no_further_action", "No further action", False, True, 5),
        ("appeal_upheld", "Appeal upheld", False, True, 6),
        ("appeal_dismissed", "Appeal dismissed", False, True, 7),
    ]

    def rows(case_type):
        return list(
            OutcomeCode.objects.filter(case_type=case_type)
            .order_by("position")
            .values_list("code", "label", "substantiated", "is_active", "position")
        )

    assert rows(first) == seven
    assert rows(second) == [*seven, ("sacked", "sacked", False, False, 8)]
