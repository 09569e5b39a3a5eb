"""The case list's CSV export: streamed, only the columns it writes (never a sealed one), the
list's filters and the gate applied, a fixed number of queries however many cases, and
recorded as a staff event with its number of rows; and the list page reads no sealed column
either."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseType
from permissions.models import StaffEvent
from permissions.services import case_assign
from tests.builders import make_case, make_case_type

pytestmark = pytest.mark.django_db

SEALED = ("answers", "reporter_contact", "redacted_answers", "token_digest")


def _export(client, query: str = "") -> tuple[Any, list[list[str]]]:
    answer = client.get(f"/staff/cases/export.csv{query}")
    assert answer.status_code == 200
    assert answer.streaming
    text = b"".join(answer.streaming_content).decode()
    return answer, list(csv.reader(io.StringIO(text)))


def _assigned(cast, n: int) -> list[Case]:
    case_type = CaseType.objects.filter(name="Dignity at work").first() or make_case_type(
        name="Dignity at work", triage_team=cast.case_type.triage_team
    )
    cases = [make_case(case_type=case_type) for _ in range(n)]
    for case in cases:
        case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    return cases


def test_the_export_streams_the_handlers_cases_row_by_row_and_is_recorded(cast, sign_in, client):
    cases = _assigned(cast, 2)
    sign_in(cast.assigned_handler)
    answer, rows = _export(client)
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"] == 'attachment; filename="cases.csv"'
    assert rows[0] == ["reference", "case type", "stage", "category", "received"]
    by_reference = {row[0]: row for row in rows[1:]}
    # The cast's own case is assigned to the same handler.
    assert set(by_reference) == {c.reference for c in [*cases, cast.case]}
    for case in cases:
        assert by_reference[case.reference] == [
            case.reference,
            "Dignity at work",
            "Received",
            "",
            case.received_on.isoformat(),
        ]
    event = StaffEvent.objects.get(code="cases.exported")
    assert (event.actor, event.payload) == (cast.assigned_handler, {"rows": 3})


def test_the_export_keeps_the_lists_filters(cast, sign_in, client):
    first, _second = _assigned(cast, 2)
    sign_in(cast.assigned_handler)
    _, rows = _export(client, f"?q={first.reference}")
    assert [row[0] for row in rows[1:]] == [first.reference]
    assert StaffEvent.objects.get(code="cases.exported").payload == {"rows": 1}


def test_the_export_reads_no_sealed_column_and_its_queries_do_not_grow(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    _export(client)  # the session's first request does its own work once
    counts = []
    for n in (1, 6):
        _assigned(cast, n)
        with CaptureQueriesContext(connection) as queries:
            _export(client)
        counts.append(len(queries))
        case_reads = [q["sql"] for q in queries if 'FROM "cases_case"' in q["sql"]]
        assert case_reads, "the export reads the cases"
        for sql in case_reads:
            for column in SEALED:
                assert f'"cases_case"."{column}"' not in sql, column
    assert counts[0] == counts[1]


def test_the_list_page_reads_no_sealed_column(cast, sign_in, client):
    _assigned(cast, 3)
    sign_in(cast.assigned_handler)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/staff/cases/")
    assert page.status_code == 200
    case_reads = [q["sql"] for q in queries if 'FROM "cases_case"' in q["sql"]]
    assert case_reads
    for sql in case_reads:
        for column in SEALED:
            assert f'"cases_case"."{column}"' not in sql, column


def test_someone_who_may_see_no_case_exports_only_the_heading(cast, sign_in, client):
    sign_in(cast.unassigned_handler)
    _, rows = _export(client)
    assert rows == [["reference", "case type", "stage", "category", "received"]]
    assert StaffEvent.objects.get(code="cases.exported").payload == {"rows": 0}
