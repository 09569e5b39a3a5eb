"""A GET writes nothing but its own audit event and the staff session's bookkeeping.

Every staff and reporter URL in the URLconf is fetched with GET, by someone who may see it,
and every INSERT, UPDATE and DELETE it sends is collected. A page that starts a clock, records
an overdue deadline or tidies a row while being read fails here, and a new URL cannot escape:
the URLs come from the URLconf, and an id parameter the test cannot fill fails it.
"""

import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.models import MessageKind
from cases.services import evidence_attach, message_add
from permissions.models import CaseExclusion
from reports.models import ReportPack
from tests.staff.test_idor import _fill, _patterns

# The only tables a GET may write to, and why.
ALLOWED = {
    "cases_caseevent",  # the audit record of the view itself
    "cases_audithead",  # ...and its place in the case's chain of events
    "django_session",  # staff sessions: last-seen time for the idle limit
    "permissions_staffevent",  # the audit of a report run or download, or of the case export
}
# Django records a statement run for many parameter sets as "N times: <sql>".
WRITE = re.compile(
    r'^\s*(?:\d+ times: )?(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE
)


def _get_urls():
    for name, route, params in _patterns():
        if (name and name.split(":")[0] in {"intake", "staff"}) or route == "healthz":
            yield name or route, route, params


# Who fetches each audience's URLs. Each test fetches a batch of one audience's URLs in turn,
# each URL a subtest, with one signed-in client: the cast and its sign-in are made once per
# batch, not once per URL, and a batch stays well inside the slow-test guard.
AUDIENCES = {
    "reporter": None,  # the reporter's pages and the health check, signed in as nobody
    "staff": "triage_lead",  # a triage lead of the case type also sees the assignment forms
    "access": "administrator",
    "reports": "governance_lead",  # the reports pages, their downloads and stored packs
    "retention": "administrator",
    "holds": "governance_lead",
    # The confidential contact's pages, on the cast's case made confidential (decision 0031).
    "confidential": "confidential_contact",
}
BATCH = 4
FIRST_PAGE = {
    "access": "/staff/access/",
    "retention": "/staff/retention/",
    "holds": "/staff/holds/",
    "confidential": "/staff/confidential/",
}


def _audience(name: str) -> str:
    if name.startswith("staff:access") or name == "staff:operations":
        return "access"
    if name.startswith("staff:report"):
        return "reports"
    if name.startswith("staff:retention"):
        return "retention"
    if name.startswith("staff:hold"):
        return "holds"
    if name.startswith("staff:confidential"):
        return "confidential"
    return "staff" if name.startswith("staff:") else "reporter"


def _batches():
    urls: dict[str, list[tuple[str, str, set[str]]]] = {}
    for name, route, params in _get_urls():
        urls.setdefault(_audience(name), []).append((name, route, params))
    for audience, theirs in urls.items():
        for start in range(0, len(theirs), BATCH):
            batch = theirs[start : start + BATCH]
            yield pytest.param(audience, batch, id=f"{audience}-from-{batch[0][0]}")


def _writes(queries):
    found = []
    for query in queries:
        match = WRITE.match(query["sql"])
        if match:
            found.append(match.group(2).lower())
    return found


@pytest.fixture
def ids(cast):
    from ops.services import heartbeat_record
    from permissions.models import ChangeKind
    from permissions.roles import Role
    from permissions.services import access_change_propose

    heartbeat_record(name="beat")  # a running scheduler, so that /healthz answers 200
    _confidential(cast)
    change = access_change_propose(
        actor=cast.administrator,
        kind=ChangeKind.ROLE_GRANT,
        user=cast.unassigned_handler,
        role=Role.GOVERNANCE_LEAD,
    )
    evidence = evidence_attach(
        case=cast.case,
        source=io.BytesIO(b"evidence"),
        original_name="e.txt",
        content_type="text/plain",
    )
    import datetime as dt

    from django.utils import timezone

    from retention.services import hold_place, policy_propose

    policy_propose(
        actor=cast.administrator, case_type=cast.case_type, content_days=30, token_days=30
    )
    hold = hold_place(
        actor=cast.governance_lead,
        reference=cast.case.reference,
        reason="Litigation.",
        review_on=timezone.localdate() + dt.timedelta(days=10),
    )
    return {
        "case_type_id": cast.case_type.pk,
        "hold_id": hold.pk,
        "case_id": cast.case.pk,
        "evidence_id": evidence.pk,
        "message_id": message_add(
            case=cast.case,
            kind=MessageKind.FROM_REPORTER,
            body="A reply.",
        ).pk,
        "step_name": "withdraw",
        "exclusion_id": CaseExclusion.objects.get(case=cast.case).pk,
        "link_id": _link(cast).pk,
        "slug": cast.case.case_type.slug,
        "change_id": change.pk,
        "fmt": "csv",
        "pack_id": ReportPack.objects.create(
            grain="quarter",
            period_start="2026-01-01",
            produced_on="2026-04-01",
            xlsx=b"x",
            csv=b"c",
        ).pk,
    }


def _link(cast):
    """A link from the cast's case to another its handler works (decision 0033)."""
    from cases.links import link_add
    from permissions.services import case_assign
    from tests.builders import make_case

    other = make_case(case_type=cast.case_type)
    case_assign(case=other, assignee=cast.assigned_handler, actor=cast.triage_lead)
    return link_add(
        case=cast.case, other=other, kind="same_team", note="", actor=cast.assigned_handler
    )


def _confidential(cast) -> None:
    """The cast's case with a confidential reporter's identity (sealed as ``case_create`` seals
    it) and a confidential contact, ``cast.confidential_contact``."""
    import json

    from django.contrib.auth.models import Group, User

    from cases.keys import case_cipher
    from cases.models import ReporterIdentity
    from permissions.roles import Role

    row = ReporterIdentity(case=cast.case)
    row.identity = case_cipher(cast.case.pk).seal(
        json.dumps({"name": "Sam", "contact": ""}).encode(),
        model_label="cases.reporteridentity",
        field="identity",
        row_id=cast.case.pk,
    )
    row.save(force_insert=True)
    contact = User.objects.create_user(username="guardian", password="a-long-password-1")
    contact.groups.add(Group.objects.get(name=Role.CONFIDENTIAL_CONTACT))
    cast.confidential_contact = contact


def test_every_audience_has_urls():
    assert {_audience(name) for name, _, _ in _get_urls()} == set(AUDIENCES)


# Each batch builds the whole cast and signs in (about 0.6 s of CPU whatever the batch size):
# over the fast pass's budget, so the GET URLs are checked in the second pass, on PostgreSQL.
@pytest.mark.slow
@pytest.mark.parametrize(("audience", "urls"), list(_batches()))
def test_a_get_writes_only_its_audit_event(cast, ids, sign_in, client, subtests, audience, urls):
    who = AUDIENCES[audience]
    if who:
        sign_in(getattr(cast, who))
        # The session's first-request bookkeeping, before counting.
        first = {"access": "/staff/access/", "reports": "/staff/reports/packs/"}
        client.get(first.get(audience, "/staff/cases/"))
        client.get(FIRST_PAGE.get(audience, "/staff/cases/"))
    for name, route, params in urls:
        with subtests.test(url=name):
            if not who:
                client = Client()  # a reporter's page, each in a browser of its own
            unknown = params - set(ids)
            assert unknown == set(), f"teach this test how to fill {unknown}"
            path = _fill(route, ids)
            with CaptureQueriesContext(connection) as captured:
                answer = client.get(path)
            assert answer.status_code < 500
            writes = _writes(captured.captured_queries)
            assert set(writes) <= ALLOWED, f"GET {path} wrote to {sorted(set(writes) - ALLOWED)}"
            assert writes.count("cases_caseevent") <= 1
            assert writes.count("permissions_staffevent") <= 1
            if audience != "reports" and name != "staff:case_export":
                assert "permissions_staffevent" not in writes
            if who:  # still the same person, so the next URL is fetched as them too
                assert client.session.get("_auth_user_id") == str(getattr(cast, who).pk), path


def test_the_follow_up_page_writes_only_the_reporters_view_event(client, db):
    from tests.builders import make_case

    _case, token = make_case(with_token=True)
    signed_in = client.post("/follow-up/", {"token": token})
    assert signed_in.status_code == 302
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/follow-up/case/")
    assert page.status_code == 200
    assert set(_writes(captured.captured_queries)) == {"cases_caseevent", "cases_audithead"}


@pytest.mark.parametrize("answered", [False, True], ids=["question", "thank-you"])
def test_the_check_in_page_writes_only_the_reporters_view_event(client, db, answered):
    """The check-in after closure, asked and answered: reading it writes only its view."""
    from cases.models import CheckinAnswer
    from intake.services import checkin_answer
    from tests.builders import make_case, make_case_type

    case_type = make_case_type(checkin_after_weeks=0)
    case, token = make_case(case_type=case_type, state="closed", with_token=True)
    if answered:
        checkin_answer(case=case, answer=CheckinAnswer.YES, message="Still here.")
    assert client.post("/follow-up/", {"token": token}).status_code == 302
    for path in ("/follow-up/case/", "/follow-up/check-in/"):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(path)
        assert page.status_code == 200
        expected = "Thank you for answering" if answered else "treated you worse"
        assert expected in page.content.decode()
        assert set(_writes(captured.captured_queries)) == {"cases_caseevent", "cases_audithead"}


def test_the_write_detector_sees_a_write_so_this_file_can_fail(cast):
    from workflows.clocks import clocks_check
    from workflows.models import Clock

    with CaptureQueriesContext(connection) as captured:
        Clock._base_manager.filter(case=cast.case).update(due_on="2000-01-01")
    assert _writes(captured.captured_queries) == ["workflows_clock"]
    with CaptureQueriesContext(connection) as captured:
        clocks_check(cast.case)
    assert "workflows_clock" in _writes(captured.captured_queries)
