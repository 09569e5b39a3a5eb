"""The batch helpers: ``among`` names rows by id (one array parameter on PostgreSQL), and
``rows_insert`` makes rows with their defaults in one statement."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from cases.batch import among, pg_array, rows_insert
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


# Values an array literal must carry unchanged, each with the type it is cast to. The text
# ones could end an element or the array early if written out unquoted.
ROUND_TRIP = [
    ("text", ["plain", 'a "quoted" word', "back\\slash", "{braces},comma", "NULL", "", None]),
    ("text", ["\u2019unicode \u2713", "line\nbreak", "tab\tand 'single' quote", "\\x41"]),
    ("uuid", [uuid.UUID(int=1), uuid.UUID("12345678-1234-5678-1234-567812345678")]),
    ("bigint", [0, -1, 2**40, None]),
    ("bigint", [0, -1, 2**40]),
    ("text", ["plain", "hex-0a1b", "with space"]),
    ("boolean", [True, False, None]),
    ("date", [dt.date(2026, 1, 31), dt.date(1999, 12, 1)]),
    ("timestamp with time zone", [dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)]),
    ("bytea", [b"", b"\x00\x01\\\"'", bytes(range(256))]),
]


def test_pg_array_writes_each_value_as_one_quoted_element():
    assert pg_array(["a", 'b"', "c\\", None]) == '{"a","b\\"","c\\\\",NULL}'
    assert pg_array([True, 7, b"\x0a"]) == '{"t","7","\\\\x0a"}'
    assert pg_array([]) == "{}"
    # Ids, counts and plain text take the short ways, with the same result.
    assert pg_array([uuid.UUID(int=1), 2]) == "{00000000-0000-0000-0000-000000000001,2}"
    assert pg_array(["ab", "c-d"]) == '{"ab","c-d"}'
    assert pg_array(["a", 'b"']) == '{"a","b\\""}'
    # A type it does not know goes as the list, for psycopg to write.
    assert pg_array([1.5, 2]) == [1.5, 2]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "values"), ROUND_TRIP)
def test_pg_array_reads_back_as_the_same_values_on_postgresql(kind, values):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{kind}[]", [pg_array(values)])
        (back,) = cursor.fetchone()
    if kind == "bytea":
        back = [bytes(value) for value in back]
    assert back == values
