"""Every URL that takes a case, message or file id answers an outsider exactly as it answers
an id that does not exist. The URLs come from the URLconf, so a new view cannot escape."""

import io
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cases.links import link_add
from cases.models import MessageKind
from cases.services import evidence_attach, message_add
from permissions.models import CaseExclusion
from permissions.services import case_assign
from tests.builders import make_case
from tests.conftest import OUTSIDERS

# How to fill each id parameter: (a real value on the cast's case, a value that exists nowhere).
ID_PARAMETERS = {"case_id", "evidence_id", "exclusion_id", "link_id", "message_id"}

# Id parameters that never name a case, a message or a file, and why.
NOT_CASE_IDS = {
    "provider_id",  # allauth: which single sign-on provider
    "object_id",  # the admin: configuration rows only; cases are never registered there
    "id",  # the admin: a user's password page
    "change_id",  # the access page: a proposed change of role or team (administrators only)
    "pack_id",  # a stored report pack: counts only, for governance leads and administrators
    # The retention pages: a case type's policy, a proposed change of it (administrators
    # only) and a legal hold (governance leads only); tested in tests/staff/test_retention_pages.py.
    "case_type_id",
    "hold_id",
    # The settings pages (administrators only): configuration rows, never a case; tested in
    # tests/administration/test_settings_pages.py.
    "category_id",
    "unit_id",
    "resource_id",
    "campaign_id",
    "question_id",  # an equality monitoring question
    "outcome_id",  # an outcome of a kind of report: tests/administration/test_outcome_pages.py
}


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            for name, route, params in _patterns(entry, prefix + str(entry.pattern)):
                yield (namespace + name if name else name), route, params
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            params = set(re.findall(r"<(?:\w+:)?(\w+)>", route)) | set(
                entry.pattern.regex.groupindex
            )
            yield entry.name, route, params


def id_urls():
    return sorted(
        (name, route, params) for name, route, params in _patterns() if params & ID_PARAMETERS
    )


def test_the_matrix_knows_every_id_parameter_in_the_urlconf():
    id_like = {
        p for _, _, params in _patterns() for p in params if p.endswith("_id") or p in {"pk", "id"}
    }
    unknown = id_like - ID_PARAMETERS - NOT_CASE_IDS
    assert unknown == set(), f"teach the IDOR matrix about {unknown}"
    assert {name for name, _, _ in id_urls()} >= {
        "staff:case_detail",
        "staff:case_history",
        "staff:evidence_download",
        "staff:case_assign",
        "staff:case_unassign",
        "staff:case_exclude",
        "staff:exclusion_confirm",
        "staff:case_recuse",
        "staff:message_share",
        "staff:message_unshare",
        "staff:evidence_share",
        "staff:evidence_unshare",
        "staff:case_step_confirm",
        "staff:case_link",
        "staff:case_unlink",
        "staff:case_decider",
    }


def _fill(route, values):
    path = route
    for name, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    return "/" + path


def _normalise(body: bytes) -> bytes:
    """The page without what is random on every response (CSRF token, script nonce)."""
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)
    return re.sub(rb'nonce="[^"]+"', b"", body)


@pytest.fixture
def real_and_missing(cast):
    evidence = evidence_attach(
        case=cast.case,
        source=io.BytesIO(b"evidence"),
        original_name="e.txt",
        content_type="text/plain",
    )
    exclusion = CaseExclusion.objects.get(case=cast.case)
    message = message_add(case=cast.case, kind=MessageKind.FROM_REPORTER, body="words")
    # A link to a second case the handler works too (decision 0033).
    second = make_case(case_type=cast.case_type)
    case_assign(case=second, assignee=cast.assigned_handler, actor=cast.triage_lead)
    link = link_add(
        case=cast.case, other=second, kind="same_person", note="", actor=cast.assigned_handler
    )
    real = {
        "case_id": cast.case.pk,
        "evidence_id": evidence.pk,
        "exclusion_id": exclusion.pk,
        "message_id": message.pk,
        "link_id": link.pk,
        "step_name": "withdraw",  # a leaving step the case's handler may take (not an id)
    }
    missing = {
        "case_id": uuid.uuid4(),
        "evidence_id": uuid.uuid4(),
        "exclusion_id": 999999,
        "message_id": uuid.uuid4(),
        "link_id": uuid.uuid4(),
        "step_name": "withdraw",
    }
    return real, missing


# One test per URL and method, each outsider a subtest: the cast is built once per URL and
# method rather than once per person too, and a failure still names all three.
# Each cell builds a case with its evidence, exclusion and history and signs in twice: about
# half a second of CPU apiece, over sixty cells. Run in the second pass, on PostgreSQL.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "route", "params"),
    id_urls(),
    ids=lambda v: v if isinstance(v, str) and ":" in v else "",
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_gets_the_same_answer_as_for_a_missing_id(
    cast, real_and_missing, sign_in, client, subtests, name, route, params, method
):
    real, missing = real_and_missing
    send = getattr(client, method)
    data = {"user": cast.assigned_handler.pk, "reason": "x"}
    for who in OUTSIDERS:
        with subtests.test(who=who):
            sign_in(getattr(cast, who))
            answer_real = send(_fill(route, real), data)
            answer_missing = send(_fill(route, missing), data)
            what = f"{method.upper()} {name} as {who}"
            assert answer_real.status_code == answer_missing.status_code, what
            assert answer_real.status_code in (404, 405), what
            assert _normalise(answer_real.content) == _normalise(answer_missing.content), what


def test_an_insider_does_get_in_so_the_matrix_can_fail(cast, real_and_missing, sign_in, client):
    real, _ = real_and_missing
    sign_in(cast.assigned_handler)
    assert client.get(_fill("staff/cases/<str:case_id>/", real)).status_code == 200
    download = client.get(_fill("staff/cases/<str:case_id>/evidence/<str:evidence_id>/", real))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"evidence"


@pytest.mark.parametrize("listing", ["list", "search", "export"])
def test_lists_search_and_exports_leave_the_case_out(cast, sign_in, client, subtests, listing):
    reference = cast.case.reference
    path = {
        "list": "/staff/cases/",
        "search": f"/staff/cases/?q={reference}",
        "export": f"/staff/cases/export.csv?q={reference}",
    }[listing]
    for who in OUTSIDERS:
        with subtests.test(who=who):
            sign_in(getattr(cast, who))
            answer = client.get(path)
            assert answer.status_code == 200, f"{path} as {who}"
            if listing == "export":
                lines = answer.getvalue().decode().splitlines()
                assert lines == ["reference,case type,stage,category,received"], who
            else:
                assert str(cast.case.pk).encode() not in answer.content, f"{path} as {who}"
                assert b"0 cases" in answer.content, f"{path} as {who}"


def test_an_assigned_handler_finds_the_case_by_reference_and_in_the_export(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    reference = cast.case.reference
    assert reference.encode() in client.get(f"/staff/cases/?q={reference.lower()}").content
    export = client.get("/staff/cases/export.csv").getvalue()
    assert reference.encode() in export
    assert b"call me" not in export  # metadata only, never content


def test_a_post_without_csrf_is_refused(cast, sign_in):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    sign_in(cast.triage_lead, strict)
    answer = strict.post(
        f"/staff/cases/{cast.case.pk}/assign/", {"assignee": cast.unassigned_handler.pk}
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("odd", ["-" * 32, "²", "0" * 200, "%00"])
def test_odd_ids_get_not_found_not_a_crash(cast, sign_in, client, odd):
    sign_in(cast.assigned_handler)
    assert client.get(f"/staff/cases/{cast.case.pk}/evidence/{odd}/").status_code == 404
    answer = client.post(f"/staff/cases/{cast.case.pk}/actions/done/", {"action": odd}, follow=True)
    assert answer.status_code == 200
    assert "That action is not on this case." in answer.content.decode()
    assert client.post(f"/staff/cases/{cast.case.pk}/unassign/", {"user": odd}).status_code in (
        302,
        404,
    )
