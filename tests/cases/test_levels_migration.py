"""Migration cases/0017 (docs/decisions/0031-confidential-reporting.md): every case type keeps
what it offered before confidential reporting, and its history says the same."""

from __future__ import annotations

import pytest
from django.db.migrations.executor import MigrationExecutor

from cases.dbroles import app_role_grant, connected_as_owner
from cases.models import CaseType
from tests.builders import make_case_type
from tests.cases.conftest import migrating

BEFORE = [("cases", "0016_welsh")]


def _migrate(connection, targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@migrating
@pytest.mark.slow
def test_case_types_keep_anonymous_or_named_as_they_had_it():
    from django.db import connection

    named = make_case_type(slug="named")
    anonymous_only = make_case_type(slug="anonymous-only")
    with connected_as_owner() as owner:
        _migrate(owner, BEFORE)
        with owner.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_casetype SET allows_named_reports = %s WHERE slug = %s",
                [False, "anonymous-only"],
            )
            cursor.execute(
                "UPDATE cases_historicalcasetype SET allows_named_reports = %s WHERE slug = %s",
                [False, "anonymous-only"],
            )
        _migrate(owner)
    if connection.vendor == "postgresql":
        app_role_grant(using="owner")  # as every migrate by the owner does
    # Written by hand: what each offered before, as a level setting.
    assert CaseType.objects.get(pk=named.pk).reporting_levels == "anonymous_named"
    assert CaseType.objects.get(pk=anonymous_only.pk).reporting_levels == "anonymous"
    history = CaseType.history.filter(slug="anonymous-only").values_list(
        "reporting_levels", flat=True
    )
    assert set(history) == {"anonymous"}
    assert CaseType.objects.get(pk=named.pk).levels == ("anonymous", "named")
