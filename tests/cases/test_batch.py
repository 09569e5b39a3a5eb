"""The batch helpers: ``among`` names rows by id (one array parameter on PostgreSQL), and
``rows_insert`` makes rows with their defaults in one statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from cases.batch import among, rows_insert
from cases.models import Case
from retention.models import DeletionRecord
from tests.builders import make_case


@pytest.mark.django_db
def test_among_finds_exactly_the_rows_named_and_sends_one_array_on_postgresql():
    cases = [make_case() for _ in range(4)]
    wanted = [cases[0].pk, cases[2].pk]
    rows: models.QuerySet[Case] = models.QuerySet(model=Case)
    with CaptureQueriesContext(connection) as queries:
        found = set(rows.filter(among("pk", wanted)).values_list("pk", flat=True))
    assert found == set(wanted)
    assert not rows.filter(among("pk", [])).exists()
    if connection.vendor == "postgresql":
        assert '"cases_case"."id" = ANY(' in queries.captured_queries[0]["sql"]


@pytest.mark.django_db
def test_rows_insert_makes_one_row_per_position_with_defaults_in_one_statement():
    cases = [make_case() for _ in range(3)]
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with CaptureQueriesContext(connection) as queries:
        made = rows_insert(
            DeletionRecord,
            {
                "case_id": [case.pk for case in cases],
                "files": [1, 2, 3],
                "rows": [{"a.b": 1}, {}, {"c.d": 2}],
            },
            same={"purged_at": at},
            returning=("id", "case_id"),
        )
    assert len(queries.captured_queries) == 1
    assert len(made) == 3
    rows = {
        r.case_id: (r.files, r.rows, r.purged_at, r.bytes, r.files_missing, r.data_key_destroyed)
        for r in DeletionRecord.objects.all()
    }
    assert rows == {
        cases[0].pk: (1, {"a.b": 1}, at, 0, 0, False),
        cases[1].pk: (2, {}, at, 0, 0, False),
        cases[2].pk: (3, {"c.d": 2}, at, 0, 0, False),
    }
    assert {pk for pk, _ in made} == set(DeletionRecord.objects.values_list("pk", flat=True))
