"""The purge against faults and mistakes: killed at any step then rerun, a file already
gone, a hold, a reopened case, the dry run, two purges at once, and report totals."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from contextlib import suppress
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, connections, transaction

from cases.models import Case, CaseEvent, CaseLink, Evidence
from cases.storage import evidence_path
from retention.models import DeletionRecord
from retention.purge import case_purge, purge_due_cases
from retention.selectors import cases_due
from tests.builders import STEP_DATA, make_case, make_case_type
from tests.retention.conftest import close, marked_case
from workflows.services import case_transition


class Injected(Exception):
    pass


def row_counts() -> dict[str, int]:
    """Rows in every installed model's table (proxies share their concrete table)."""
    return {
        model._meta.label_lower: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy
    }


def end_state(case_id) -> tuple[Any, ...]:
    record = DeletionRecord.objects.get(case_id=case_id)
    stub = Case.objects.values().get(pk=case_id)
    return (
        record.rows,
        record.files,
        record.bytes,
        record.data_key_destroyed,
        stub,
        CaseEvent.objects.filter(case_id=case_id, code="retention.purged").count(),
    )


STEPS = [
    "locked",
    "deleted cases.message",
    "deleted cases.historicalcase",
    "stub",
    "key",
    "recorded",
    "files",
]


@pytest.mark.slow
@pytest.mark.django_db
def test_a_purge_killed_at_any_step_and_rerun_ends_the_same_with_one_record(
    after_retention, subtests
):
    case_type = make_case_type(retention_days=365)
    reference = marked_case(case_type=case_type, tag="REFCASE1")
    purge_due_cases(today=after_retention)
    expected = end_state(reference.pk)
    for step in STEPS:
        with subtests.test(step=step):
            case = marked_case(case_type=case_type, tag="KILLED01")

            def fail_at(name: str, step: str = step) -> None:
                if name == step:
                    raise Injected(name)

            with pytest.raises(Injected):
                purge_due_cases(today=after_retention, checkpoint=fail_at)
            assert not DeletionRecord.objects.filter(case_id=case.pk).exists()
            files_before = list(
                Evidence.objects.filter(case=case).values_list("stored_name", flat=True)
            )
            assert purge_due_cases(today=after_retention).purged == 1
            rows, files, size, destroyed, stub, events = end_state(case.pk)
            exp_rows, exp_files, exp_size, exp_destroyed, exp_stub, exp_events = expected
            assert (rows, files, size, destroyed, events) == (
                exp_rows,
                exp_files,
                exp_size,
                exp_destroyed,
                exp_events,
            )
            ignore = {"id", "reference", "case_type_id"}
            assert {k: v for k, v in stub.items() if k not in ignore} == {
                k: v for k, v in exp_stub.items() if k not in ignore
            }
            assert DeletionRecord.objects.filter(case_id=case.pk).count() == 1
            # Killed after the files went (the commit failing): they are counted as missing.
            missing = DeletionRecord.objects.get(case_id=case.pk).files_missing
            assert missing == (1 if step == "files" else 0)
            assert all(not evidence_path(name).exists() for name in files_before)


@pytest.mark.slow
@pytest.mark.django_db
def test_batches_a_crash_loses_after_their_commit_are_done_again_records_and_events_included(
    after_retention,
):
    """Decision 0037: the purge's batches commit without waiting for the disk, so a crash of
    the server can lose batches whose commit had returned (and whose files were removed).
    Rolling the whole run back after it returned is that loss; the next run must write each
    case's deletion record and ``retention.purged`` event again, once, in a chain that
    verifies, counting the removed files as missing."""
    from cases.audit import audit_verify

    case_type = make_case_type(retention_days=365)
    reference = marked_case(case_type=case_type, tag="REFCASE2")
    purge_due_cases(today=after_retention)
    expected = end_state(reference.pk)
    cases = [marked_case(case_type=case_type, tag=f"LOST000{n}") for n in range(2)]
    names = list(Evidence.objects.filter(case__in=cases).values_list("stored_name", flat=True))
    events_before = CaseEvent.objects.count()

    with pytest.raises(Injected), transaction.atomic():
        run = purge_due_cases(today=after_retention, batch_size=1)
        assert (run.purged, run.batches) == (2, 2)
        raise Injected("the server crashed before the batches reached the disk")

    assert not DeletionRecord.objects.filter(case__in=cases).exists()
    assert CaseEvent.objects.count() == events_before
    assert names and all(not evidence_path(name).exists() for name in names)
    assert purge_due_cases(today=after_retention, batch_size=1).purged == 2
    for case in cases:
        rows, files, size, destroyed, _, events = end_state(case.pk)
        assert (rows, files, size, destroyed, events) == (
            expected[0],
            expected[1],
            expected[2],
            expected[3],
            1,
        )
        assert DeletionRecord.objects.get(case_id=case.pk).files_missing == files
    assert audit_verify().problems == []


@pytest.mark.slow
@pytest.mark.django_db
def test_a_file_already_missing_is_counted_not_fatal(after_retention):
    import io

    from cases.services import evidence_attach

    case = make_case()
    evidence = evidence_attach(
        case=case, source=io.BytesIO(b"abc"), original_name="a.txt", content_type="text/plain"
    )
    close(case)
    evidence_path(evidence.stored_name).unlink()
    assert purge_due_cases(today=after_retention).purged == 1
    record = DeletionRecord.objects.get(case_id=case.pk)
    assert (record.files, record.files_missing) == (1, 1)


@pytest.mark.django_db
def test_a_held_case_past_its_date_survives_and_goes_once_the_hold_is_lifted(after_retention):
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from retention.services import hold_lift, hold_place

    lead = User.objects.create(username="gov")
    lead.groups.add(Group.objects.get_or_create(name="Governance lead")[0])
    case = close(make_case())
    hold = hold_place(
        actor=lead,
        reference=case.reference,
        reason="Tribunal.",
        review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    assert cases_due(after_retention) == []
    assert purge_due_cases(today=after_retention).purged == 0
    # A hold placed after a run listed the case is seen under the case's lock.
    assert case_purge(case.pk, today=after_retention) is None
    assert not DeletionRecord.objects.exists()
    hold_lift(actor=lead, hold=hold)
    assert purge_due_cases(today=after_retention).purged == 1


@pytest.mark.django_db
def test_a_reopened_case_moves_its_date(after_retention):
    import time_machine
    from django.utils import timezone

    case = close(make_case())
    assert cases_due(after_retention) == [case.pk]
    with time_machine.travel(timezone.now() + dt.timedelta(days=300), tick=False):
        case = case_transition(case=case, name="reopen", actor=None, **STEP_DATA)
        assert case.closed_on is None
        assert cases_due(after_retention) == []
        case = close(case)  # closed again 300 days later: due a year after that
    assert cases_due(after_retention) == []
    assert cases_due(after_retention + dt.timedelta(days=300)) == [case.pk]


@pytest.mark.slow
@pytest.mark.django_db
def test_the_dry_run_lists_exactly_what_the_run_deletes_and_changes_nothing(
    after_retention, monkeypatch
):
    short = make_case_type(retention_days=30)
    long_ = make_case_type(retention_days=3650)
    due = {close(make_case(case_type=short)).pk, close(make_case()).pk}
    close(make_case(case_type=long_))  # not yet due
    make_case(case_type=short)  # open
    counts = row_counts()
    out = StringIO()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: after_retention)
    call_command("purge_cases", "--dry-run", stdout=out)
    listed = set(cases_due(after_retention))
    assert row_counts() == counts
    assert listed == due
    assert all(str(case_id) in out.getvalue() for case_id in due)
    assert "Next to fall due" in out.getvalue()
    out = StringIO()
    call_command("purge_cases", stdout=out)
    assert set(DeletionRecord.objects.values_list("case_id", flat=True)) == listed
    assert "Purged 2 case(s)" in out.getvalue()


def _totals() -> Counter[tuple[Any, ...]]:
    """What trend reports count: cases and deadlines met or missed, by month received and
    closed, type, category, unit, outcome and state."""
    from workflows.models import Clock

    cases: Counter[tuple[Any, ...]] = Counter(
        (
            r["received_on"].strftime("%Y-%m"),
            r["closed_on"].strftime("%Y-%m") if r["closed_on"] else None,
            r["case_type_id"],
            r["category_id"],
            r["org_unit_id"],
            r["outcome"],
            r["state"],
        )
        for r in Case.objects.values()
    )
    clocks: Counter[tuple[Any, ...]] = Counter(
        ("clock", c.case.case_type_id, c.kind, c.met, c.due_on.strftime("%Y-%m"))
        for c in Clock.objects.select_related("case")
    )
    return cases + clocks


@pytest.mark.slow
@pytest.mark.django_db
def test_report_totals_are_the_same_before_and_after_the_purge(after_retention):
    from cases.models import Category, OrganisationalUnit

    case_type = make_case_type(retention_days=30)
    category = Category.objects.create(case_type=case_type, slug="c", name="C")
    unit = OrganisationalUnit.objects.create(slug="u", name="U")
    for n in range(3):
        close(make_case(case_type=case_type, category=category if n else None, org_unit=unit))
    make_case(case_type=case_type)
    before = _totals()
    assert purge_due_cases(today=after_retention).purged == 3
    assert _totals() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_delete_each_case_once(after_retention):
    cases = [close(make_case()) for _ in range(6)]
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(purge_due_cases(today=after_retention).purged)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 6  # each case purged by one of the two, once
    assert set(DeletionRecord.objects.values_list("case_id", flat=True)) == {c.pk for c in cases}
    assert DeletionRecord.objects.count() == 6
    assert CaseEvent.objects.filter(code="retention.purged").count() == 6
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_take_turns_so_linked_cases_in_both_cannot_deadlock(after_retention):
    """Each purge takes one of two linked cases. The link is two rows, which both delete,
    each its own case's first: side by side, with thousands of cases a batch, PostgreSQL found
    a deadlock and failed one of them (decision 0039). Now the second purge's batch waits for
    the first's to end: each, once it holds its case, waits up to a second for the other to
    hold one too, which never happens."""
    from django.contrib.auth.models import User

    from cases.links import link_add

    pair = (close(make_case()), close(make_case()))
    actor = User.objects.create_user("linker")
    link_add(case=pair[0], other=pair[1], kind="same_person", note="", actor=actor)
    together = threading.Barrier(2, timeout=1)
    steps: list[tuple[int, str]] = []

    def run(n: int, case: Case) -> None:
        def step(name: str) -> None:
            steps.append((n, name))
            if name == "locked":
                with suppress(threading.BrokenBarrierError):
                    together.wait()

        try:
            purged[n] = case_purge(case.pk, today=after_retention, checkpoint=step)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    purged: dict[int, Any] = {}
    errors: list[BaseException] = []
    threads = [threading.Thread(target=run, args=(n, case)) for n, case in enumerate(pair)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {record.case_id for record in purged.values()} == {case.pk for case in pair}
    first = steps[0][0]
    # One batch's steps, from its lock to its files, then the other's: never interleaved.
    assert [n for n, _ in steps] == sorted((n for n, _ in steps), key=lambda n: n != first)
    assert together.broken  # neither found the other holding a case
    assert not CaseLink.objects.exists() and not CaseLink.history.exists()


@pytest.mark.django_db
def test_a_case_the_check_in_reopened_counts_from_that_day_and_waits_while_it_needs_attention(
    after_retention,
):
    import time_machine
    from django.contrib.auth.models import User
    from django.utils import timezone

    from cases.models import CheckinAnswer
    from cases.services import case_attention_clear, case_checkin_record
    from retention.selectors import deletion_date, token_opens

    kind = make_case_type(retention_days=365, checkin_after_weeks=1)
    case = close(make_case(case_type=kind))
    closed = case.closed_on
    assert closed is not None
    assert deletion_date(case) == closed + dt.timedelta(days=365)
    reopened = closed + dt.timedelta(days=30)
    with time_machine.travel(dt.datetime.combine(reopened, dt.time(12)), tick=False):
        case = case_checkin_record(case=case, answer=CheckinAnswer.YES, message="")
    assert case.attention_since == reopened
    # While the handlers deal with it: never due, however late, and the token still opens it.
    for day in (after_retention, after_retention + dt.timedelta(days=3650)):
        assert cases_due(day) == [], day
    assert deletion_date(case) is None
    assert token_opens(case, after_retention + dt.timedelta(days=3650))
    case = case_attention_clear(case=case, actor=User.objects.create(username="h"))
    # Then a whole period from the day the check-in reopened it, not from the closing day.
    assert deletion_date(case) == reopened + dt.timedelta(days=365)
    assert cases_due(after_retention) == []
    assert cases_due(reopened + dt.timedelta(days=364)) == []
    assert cases_due(reopened + dt.timedelta(days=365)) == [case.pk]
    assert timezone.localdate() < reopened + dt.timedelta(days=365)


@pytest.mark.django_db
def test_governance_leads_hear_once_of_each_hold_past_its_review_day(client, sign_in):
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from notifications.models import Notification
    from retention.services import hold_lift, hold_place, hold_review, holds_review_remind

    governance = Group.objects.get_or_create(name="Governance lead")[0]
    lead, other = User.objects.create(username="gov"), User.objects.create(username="gov2")
    for person in (lead, other):
        person.groups.add(governance)
    User.objects.create(username="not-a-lead")
    today = timezone.localdate()
    review = today + dt.timedelta(days=10)
    first = hold_place(
        actor=lead, reference=close(make_case()).reference, reason="A.", review_on=review
    )
    second = hold_place(
        actor=lead, reference=close(make_case()).reference, reason="B.", review_on=review
    )
    # (day, holds reminded): not before the review day has passed; once per hold and day.
    expected = [
        (review, 0),
        (review + dt.timedelta(days=1), 2),
        (review + dt.timedelta(days=2), 0),
    ]
    for day, reminded in expected:
        assert holds_review_remind(day) == reminded, day
    told = Notification.objects.filter(kind="hold_review_due")
    assert sorted(n.recipient.username for n in told) == ["gov", "gov", "gov2", "gov2"]
    assert {n.case_id for n in told} == {None}
    # Reviewed to a later day: reminded again once that day has passed; a lifted hold never.
    later = review + dt.timedelta(days=30)
    hold_review(actor=lead, hold=first, review_on=later)
    hold_lift(actor=lead, hold=second)
    assert holds_review_remind(later) == 0
    assert holds_review_remind(later + dt.timedelta(days=1)) == 1
    assert Notification.objects.filter(kind="hold_review_due").count() == 6
    sign_in(other)
    page = client.get("/staff/notifications/").content.decode()
    assert 'href="/staff/holds/">A legal hold is due for review</a>' in page


@pytest.mark.django_db
def test_cases_purged_together_each_get_their_own_counts_and_a_kill_undoes_the_whole_batch(
    after_retention,
):
    from cases.models import MessageKind
    from cases.services import message_add

    case_type = make_case_type(retention_days=365)
    cases = [make_case(case_type=case_type) for _ in range(5)]
    for n, case in enumerate(cases):
        for _ in range(n):
            message_add(case=case, kind=MessageKind.FROM_REPORTER, body="words")
        close(case)

    def fail_at(name: str) -> None:
        if name == "recorded":
            raise Injected(name)

    with pytest.raises(Injected):
        purge_due_cases(today=after_retention, batch_size=3, checkpoint=fail_at)
    assert DeletionRecord.objects.count() == 0
    assert Case.objects.filter(token_digest__isnull=True).count() == 0
    run = purge_due_cases(today=after_retention, batch_size=3)
    assert (run.purged, run.batches) == (5, 2)
    records = {r.case_id: r.rows for r in DeletionRecord.objects.all()}
    # Written by hand: n messages for the nth case, and as many history rows of them.
    assert [records[case.pk].get("cases.message", 0) for case in cases] == [0, 1, 2, 3, 4]
    assert [records[case.pk].get("cases.historicalmessage", 0) for case in cases] == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert CaseEvent.objects.filter(code="retention.purged").count() == 5


@pytest.mark.django_db
def test_with_no_policy_at_all_nothing_is_due(after_retention):
    from retention.models import RetentionPolicy

    close(make_case())
    RetentionPolicy.objects.all().delete()
    assert cases_due(after_retention) == []
    assert purge_due_cases(today=after_retention).purged == 0
