"""Each case's events, and the refusals, form HMAC chains that ``audit_verify`` checks; the
command, the hourly task and the health page report the result."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import timezone

from cases import audit
from cases.audit import audit_status, audit_verify, case_chain, event_record
from cases.models import AuditHead, AuditVerification, CaseEvent
from cases.tasks import verify_audit_chains
from permissions.access import record_refusal
from permissions.models import AccessRefusal
from tests.builders import make_case
from tests.cases.conftest import make_scene, tamperer, with_owner


@pytest.mark.django_db
def test_each_case_counts_its_own_events_from_one(scene):
    assert list(CaseEvent.objects.filter(case=scene.case).order_by("id").values_list("seq")) == [
        (1,),
        (2,),
        (3,),
        (4,),
    ]
    assert list(CaseEvent.objects.filter(case=scene.other).order_by("id").values_list("seq")) == [
        (1,),
        (2,),
    ]
    head = AuditHead.objects.get(chain=case_chain(scene.case.pk))
    newest = CaseEvent.objects.filter(case=scene.case).latest("id")
    assert (head.seq, head.mac) == (4, newest.mac)


@pytest.mark.django_db
def test_refusals_form_one_chain_of_their_own(scene, staff_user):
    for action in ("view", "download", "history"):
        record_refusal(staff_user, scene.case.pk, action)
    assert list(AccessRefusal.objects.order_by("id").values_list("seq", "action")) == [
        (1, "view"),
        (2, "download"),
        (3, "history"),
    ]
    assert AuditHead.objects.get(chain="refusals").seq == 3


@pytest.mark.django_db
def test_an_untouched_record_verifies_and_the_result_is_kept(scene, staff_user):
    record_refusal(staff_user, None, "view")
    report = audit_verify()
    assert report.problems == []
    record = AuditVerification.objects.get()
    assert (record.ok, record.chains, record.links, record.problems) == (True, 3, 7, 0)


@pytest.mark.django_db
def test_links_cannot_be_recomputed_without_the_key_outside_the_database(scene, settings):
    # Someone holding only the database, who recomputes every link with a key of their own
    # choosing, produces links that do not verify under the real key.
    real = settings.SPEAKUP_TOKEN_PEPPER
    settings.SPEAKUP_TOKEN_PEPPER = b"a-different-pepper-held-by-an-attacker-0123"
    event_record(case=scene.case, code="case.viewed", payload={"view": "forged"})
    settings.SPEAKUP_TOKEN_PEPPER = real
    problems = [str(p) for p in audit_verify().problems]
    assert problems == [f"{scene.chain} link 5: does not match its contents or place"]


@with_owner
def test_removing_the_newest_event_and_winding_its_head_back_is_found_by_the_count(staff_user):
    scene = make_scene(staff_user)
    assert audit_verify().record.ok
    third = CaseEvent.objects.get(case=scene.case, seq=3)
    with tamperer() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [scene.events[3]])
        cursor.execute(
            "UPDATE cases_audithead SET seq = 3, mac = %s WHERE chain = %s",
            [third.mac, scene.chain],
        )
    problems = [str(p) for p in audit_verify().problems]
    assert problems == ["audit: 1 link(s) fewer than at the last verification"]


@pytest.mark.django_db
def test_a_forged_all_is_well_record_is_found(scene):
    forged = AuditVerification.objects.create(
        at=timezone.now(), ok=True, chains=2, links=6, problems=0, mac="0" * 64
    )
    assert audit_status()["status"] == "failed"
    problems = [str(p) for p in audit_verify().problems]
    assert problems == [f"verification: record {forged.pk} was altered"]


@with_owner
def test_the_command_says_all_is_well_or_names_each_problem_and_fails(staff_user):
    scene = make_scene(staff_user)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().strip() == "Audit chains verified: 2 chains, 6 links, no problems."
    with tamperer() as cursor:
        cursor.execute("UPDATE cases_caseevent SET code = 'x.y' WHERE id = %s", [scene.events[1]])
    err = StringIO()
    with pytest.raises(CommandError, match="2 chains, 6 links, 1 problems"):
        call_command("audit_verify", stderr=err)
    assert err.getvalue().strip() == f"{scene.chain} link 2: does not match its contents or place"


@pytest.mark.django_db
def test_the_hourly_task_records_a_verification(scene):
    verify_audit_chains.apply()
    assert AuditVerification.objects.get().ok


def test_beat_runs_the_verification_every_hour():
    from config.celery import app

    entry = app.conf.beat_schedule["verify-audit-chains"]
    assert (entry["task"], entry["schedule"]) == (verify_audit_chains.name, 3600.0)


@with_owner
def test_the_health_page_shows_the_latest_verification(client, staff_user):
    scene = make_scene(staff_user)
    assert client.get("/healthz").json()["audit"] == {"status": "unverified", "verified_at": None}
    record = audit_verify().record
    assert client.get("/healthz").json()["audit"] == {
        "status": "ok",
        "verified_at": record.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }
    with tamperer() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [scene.events[1]])
    audit_verify()
    assert client.get("/healthz").json()["audit"]["status"] == "failed"


# --- Appending at the same moment (PostgreSQL: real concurrent transactions) ---------------


def _at_once(count: int, work) -> list[BaseException]:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:  # collected for the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_events_appended_at_once_queue_for_their_places_instead_of_forking(staff_user):
    case = make_case()
    views = ("view", "history", "download", "message", "record", "transition", "police", "x")

    def view(n: int) -> None:
        event_record(case=case, code="case.viewed", actor=staff_user, payload={"view": views[n]})

    assert _at_once(len(views), view) == []
    seqs = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("seq", flat=True))
    assert seqs == list(range(1, len(views) + 2))
    assert audit_verify().problems == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refusals_recorded_at_once_queue_too(staff_user):
    def refuse(n: int) -> None:
        record_refusal(staff_user, None, f"view-{n}")

    assert _at_once(8, refuse) == []
    seqs = list(AccessRefusal.objects.order_by("id").values_list("seq", flat=True))
    assert seqs == list(range(1, 9))
    assert audit_verify().problems == []


@pytest.mark.django_db
def test_a_head_made_meanwhile_by_another_append_is_locked_and_continued(staff_user, monkeypatch):
    # The head is missing when looked for, then found present when inserted (another append
    # made it in between): the append takes the next place on it instead of failing.
    case = make_case()
    locks = []
    real_lock = audit._heads_lock

    def late(chains):
        locks.append(chains)
        return {} if len(locks) == 1 else real_lock(chains)

    monkeypatch.setattr(audit, "_heads_lock", late)
    event_record(case=case, code="case.viewed", actor=staff_user, payload={"view": "view"})
    assert len(locks) == 2
    assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("seq")) == [
        (1,),
        (2,),
    ]
    assert audit_verify().problems == []


@pytest.mark.django_db
def test_a_chain_without_a_head_starts_at_its_first_link(staff_user):
    assert not AuditHead.objects.filter(chain="refusals").exists()
    record_refusal(staff_user, None, "view")
    head = AuditHead.objects.get(chain="refusals")
    assert (head.seq, head.mac) == (1, AccessRefusal.objects.get().mac)
