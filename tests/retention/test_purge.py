"""The purge leaves nothing of a case but its anonymous stub, its identifier-only audit
events, its deadlines' met-or-missed and one deletion record of counts."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.db import connection

from cases.models import Case, CaseEvent, CaseLink, DataKey, Evidence
from retention.models import DeletionRecord
from retention.purge import purge_due_cases
from tests.builders import make_case
from tests.dbdump import dump_values, encodings_of, table_names
from tests.retention.conftest import MARKER, marked_case
from workflows.models import Clock

# Tables allowed to hold a row naming a purged case, and why (written here by hand).
ALLOWED_TABLES = {
    "cases_case",  # the stub
    "cases_caseevent",  # its audit events (identifiers only)
    "cases_audithead",  # its audit chain's head ("case:<id>")
    "retention_deletionrecord",  # counts only
    "workflows_clock",  # met or missed, reason emptied
}
STUB_COLUMNS_SET = {
    "id",
    "reference",
    "case_type_id",
    "category_id",
    "org_unit_id",
    "state",
    "received_on",
    "closed_on",
    "days_to_close",  # the days between, since the dates keep only their months
    "outcome",
    "reporter_named",  # whether a name was given, never the name
    "channel",  # the form, phone, in person or post: counted like the category
}


def _forms_of(case_id: uuid.UUID) -> set[bytes]:
    return {str(case_id).encode(), case_id.hex.encode()}


def tables_naming(case_id: uuid.UUID) -> dict[str, int]:
    """Rows per table holding the case's id anywhere in any column, every table read."""
    forms = _forms_of(case_id)
    rows: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                values = [
                    bytes(v) if isinstance(v, memoryview | bytes) else str(v).encode()
                    for v in row
                    if v is not None
                ]
                if any(form in value for value in values for form in forms):
                    rows[table] = rows.get(table, 0) + 1
    return rows


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.mark.slow
@pytest.mark.django_db
def test_a_purged_case_leaves_only_its_stub_events_clocks_and_one_record(
    after_retention, _evidence_dir
):
    case = marked_case()
    other = make_case(answers={"what_happened": "kept"})  # open: not due
    wrapped = bytes(DataKey.objects.get(case_id=case.pk).wrapped)
    before = tables_naming(case.pk)
    assert before.keys() > (ALLOWED_TABLES - {"retention_deletionrecord"}) | {
        "cases_message",
        "retention_legalhold",
        "cases_shareditem",  # shared with investigators, with redacted copies (0024)
        "cases_historicalshareditem",
        "cases_reporteridentity",  # a confidential reporter, revealed with a reason (0031)
        "cases_historicalreporteridentity",
        "cases_caselink",  # linked to an open case, both sides (0033)
        "cases_historicalcaselink",
    }
    assert len(_files(_evidence_dir)) == 1

    run = purge_due_cases(today=after_retention)

    assert run.purged == 1
    assert set(tables_naming(case.pk)) <= ALLOWED_TABLES
    assert _files(_evidence_dir) == []
    dump = [value for _, value in dump_values()]
    for form in encodings_of(MARKER):
        assert not any(form in value for value in dump), form
    assert not any(wrapped in value for value in dump)
    assert not DataKey.objects.filter(case_id=case.pk).exists()
    assert DataKey.objects.filter(case_id=other.pk).exists()

    record = DeletionRecord.objects.get(case_id=case.pk)
    assert (record.files, record.files_missing, record.data_key_destroyed) == (1, 0, True)
    assert record.bytes == len(f"{MARKER} file content")
    assert record.rows["cases.message"] == 3
    # Two messages and a file still shared; the note's share was withdrawn (its history stays
    # until the purge): four history rows of creation and one of removal.
    assert record.rows["cases.shareditem"] == 3
    assert record.rows["cases.historicalshareditem"] == 5
    # The confidential reporter's identity, and its history: made, then revealed.
    assert record.rows["cases.reporteridentity"] == 1
    assert record.rows["cases.historicalreporteridentity"] == 2
    # Both sides of its link to the open case, and their history: made, removed, made again.
    assert record.rows["cases.caselink"] == 2
    assert record.rows["cases.historicalcaselink"] == 6
    assert not CaseLink.objects.exists()
    assert not CaseLink.history.exists()
    assert record.rows["cases.historicalcase"] >= 3
    assert record.rows["guardian.userobjectpermission"] == 1
    assert record.rows["admin.logentry"] == 1
    assert all(isinstance(n, int) for n in record.rows.values())

    stub = Case.objects.values().get(pk=case.pk)
    filled = {name for name, value in stub.items() if value not in (None, b"", "", False)}
    assert filled <= STUB_COLUMNS_SET
    assert stub["token_digest"] is None
    assert stub["received_on"].day == 1 and stub["closed_on"].day == 1
    assert CaseEvent.objects.filter(case_id=case.pk, code="retention.purged").count() == 1
    clocks = list(Clock.objects.filter(case_id=case.pk).values("reason", "met", "kind"))
    assert clocks and all(clock["reason"] is None for clock in clocks)
    assert not Evidence.objects.filter(case_id=case.pk).exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_a_second_run_purges_nothing_and_writes_no_second_record(after_retention):
    case = marked_case()
    assert purge_due_cases(today=after_retention).purged == 1
    assert purge_due_cases(today=after_retention).purged == 0
    assert DeletionRecord.objects.filter(case_id=case.pk).count() == 1
