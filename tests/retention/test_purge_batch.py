"""A batch of the purge: as many statements for six cases as for two (never one per case),
each case's event chained in its place, and its planner setting kept to its transaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.audit import audit_verify, case_chain
from cases.models import AuditHead, Case, CaseEvent, MessageKind
from cases.services import message_add
from retention.models import DeletionRecord
from retention.purge import purge_due_cases
from tests.builders import make_case, make_case_type
from tests.retention.conftest import close

# Statements of one purge run that takes one batch, counted by hand from the purge's steps,
# whatever the number of cases in the batch. Common to both databases: the batch's savepoint
# and its release (tests run inside a transaction); the policies; the lock; the second look
# with the evidence; the content types; the clocks; the stubs; the keys; the records; and
# the events: heads locked, events inserted, heads moved. Then the run's staff event: its
# head read, made (savepoint, insert, release), moved, and the event.
COMMON_STATEMENTS = 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 3 + 6
# PostgreSQL: the batch's settings and their restoring (a statement each), and one statement
# per level of the search that finds and deletes at once, whatever the models of the level
# before: what points at the cases (their history rows, messages and the messages' history,
# which names the case too), then what points at any of those (nothing): 2 levels.
POSTGRESQL_STATEMENTS = COMMON_STATEMENTS + 2 + 2
# SQLite asks each way of pointing on its own (in-process, no round trips): 28 ways at the
# cases (two of them a confidential reporter's identity and its history, decision 0031; four
# a link's two cases and its history's, decision 0033; one the news waiting for staff's
# next round); at each of the other 4 levels the 3 generic pairs (admin log, guardian's
# user and group permissions), and at the messages their history's key and the two keys of
# the shares with investigators (the share and its history, decision 0024); then a delete
# per model with rows (the cases' history, the clocks' history, the messages and their
# history: 4). It needs no planner setting.
SQLITE_STATEMENTS = COMMON_STATEMENTS + 28 + 3 * 4 + 1 + 2 + 4


def _closed_cases(n: int) -> list[Case]:
    case_type = make_case_type(retention_days=365)
    cases = [make_case(case_type=case_type) for _ in range(n)]
    for case in cases:
        message_add(case=case, kind=MessageKind.FROM_REPORTER, body="words")
        close(case)
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize("cases", [2, 6])
def test_a_batch_takes_the_same_statements_for_two_cases_as_for_six(after_retention, cases):
    _closed_cases(cases)
    with CaptureQueriesContext(connection) as queries:
        run = purge_due_cases(today=after_retention, limit=cases)
    assert (run.purged, run.batches) == (cases, 1)
    expected = POSTGRESQL_STATEMENTS if connection.vendor == "postgresql" else SQLITE_STATEMENTS
    assert len(queries.captured_queries) == expected


@pytest.mark.django_db
def test_each_case_of_a_batch_gets_its_own_event_in_its_chain_and_the_chains_verify(
    after_retention,
):
    cases = _closed_cases(4)
    before = {case.pk: AuditHead.objects.get(chain=case_chain(case.pk)).seq for case in cases}

    purge_due_cases(today=after_retention)

    for case in cases:
        record = DeletionRecord.objects.get(case_id=case.pk)
        event = CaseEvent.objects.get(case_id=case.pk, code="retention.purged")
        head = AuditHead.objects.get(chain=case_chain(case.pk))
        assert event.payload == {"record": record.pk}
        assert event.seq == before[case.pk] + 1 == head.seq
        assert event.mac == head.mac
    assert audit_verify().problems == []


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_purge_plans_for_rows_found_by_key_and_commits_asynchronously_in_its_batches_only(
    after_retention,
):
    _closed_cases(1)
    seen = []
    settings = "SELECT current_setting('random_page_cost'), current_setting('synchronous_commit')"

    def read(step: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(settings)
            seen.append(cursor.fetchone())

    with connection.cursor() as cursor:
        cursor.execute(settings)
        before = cursor.fetchone()
    purge_due_cases(today=after_retention, checkpoint=read)

    # Decision 0037: a batch the server loses after its commit is done again by the next run.
    assert seen and set(seen) == {("1.1", "off")}
    with connection.cursor() as cursor:
        cursor.execute(settings)
        assert cursor.fetchone() == before
    assert before[0] != "1.1"
    assert before[1] != "off"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_each_batch_of_its_own_commits_asynchronously_and_the_run_s_staff_event_durably(
    after_retention, monkeypatch
):
    """Decision 0037, at the commit itself (the setting counts as it stands then): each batch
    that is its own transaction commits with ``synchronous_commit`` off, nothing putting it
    back before; the run's staff event after them commits as the server is set, which makes
    every batch before it durable."""
    _closed_cases(3)
    commits = []
    commit = connection.commit

    def observed() -> None:
        with connection.connection.cursor() as raw:  # past Django's wrappers and its log
            raw.execute("SELECT current_setting('synchronous_commit')")
            commits.append(raw.fetchone()[0])
        commit()

    monkeypatch.setattr(connection, "commit", observed)
    run = purge_due_cases(today=after_retention, batch_size=2)

    assert (run.purged, run.batches) == (3, 2)
    # The two batches, and the third look that found nothing left (as its own transaction
    # too); then the staff event.
    assert commits == ["off", "off", "off", "on"]
