"""Linked cases over HTTP (docs/decisions/0033-linked-cases.md): a handler links two cases by
typing the other's reference and removes the link; every refusal is a clear error with nothing
changed; a reference the user cannot see gets the same answer as one that does not exist; and
someone who sees one case but not the other sees no trace of their link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import CaseEvent, CaseLink
from permissions.links import NOT_BOTH, link_list_for_user, reference_normalise
from permissions.models import AccessRefusal
from permissions.predicates import may_link
from permissions.services import case_assign
from tests.builders import make_case
from tests.staff.test_idor import _normalise

NOTE = "QZLINKNOTE Same manager named in both reports"


@pytest.fixture
def other(cast):
    """A second case on the cast's case type that the assigned handler and the external
    investigator work too."""
    case = make_case(case_type=cast.case_type)
    case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    case_assign(
        case=case,
        assignee=cast.external_investigator,
        actor=cast.triage_lead,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    return case


@pytest.fixture
def hidden(cast):
    """A case the assigned handler cannot see (another handler works it), not yet new: no
    triage lead of the cast sees it by their role either."""
    case = make_case(case_type=cast.case_type, state="acknowledged")
    case_assign(case=case, assignee=cast.unassigned_handler, actor=cast.triage_lead)
    return case


def _url(case, rest=""):
    return f"/staff/cases/{case.pk}/{rest}"


def _link(client, case, reference, kind="same_person", note=NOTE):
    data = {"reference": reference, "kind": kind, "note": note}
    return client.post(_url(case, "links/new/"), data)


def _events(case, code):
    return list(CaseEvent.objects.filter(case=case, code=code).order_by("seq"))


def test_a_handler_links_two_cases_and_each_page_shows_the_other(cast, other, sign_in, client):
    sign_in(cast.assigned_handler)
    form = client.get(_url(cast.case, "links/new/"))
    assert form.status_code == 200
    assert "Link to another case" in form.content.decode()
    # Typed loosely: lower case, no dash, spaces around.
    typed = f"  {other.reference.replace('-', '').lower()} "
    answer = _link(client, cast.case, typed)
    assert answer.status_code == 302
    assert answer["Location"] == _url(cast.case) + "#links"

    rows = CaseLink.objects.order_by("case__reference")
    assert {(row.case_id, row.other_id, row.kind) for row in rows} == {
        (cast.case.pk, other.pk, "same_person"),
        (other.pk, cast.case.pk, "same_person"),
    }
    assert all(NOTE.encode() not in bytes(row.note) for row in rows)  # sealed
    page = client.get(_url(cast.case)).content.decode()
    assert "The cases are linked." in page
    assert other.reference in page and NOTE in page and "Same person" in page
    assert "Remove link" in page
    back = client.get(_url(other)).content.decode()
    assert cast.case.reference in back and NOTE in back

    # One event on each case, identifiers only: never the note.
    for case, that in ((cast.case, other), (other, cast.case)):
        (event,) = _events(case, "case.linked")
        assert event.actor == cast.assigned_handler
        assert event.payload["other_case"] == that.pk.hex
        assert event.payload["link_kind"] == "same_person"
        assert set(event.payload) == {"other_case", "link", "link_kind"}
        assert "QZLINKNOTE" not in str(event.payload)
    history = client.get(_url(cast.case, "history/?changes=1")).content.decode()
    assert f"handler (handler) linked this case to {other.reference} (same person)." in history
    history = client.get(_url(other, "history/?changes=1")).content.decode()
    assert f"handler (handler) linked this case to {cast.case.reference} (same person)." in history


def test_a_handler_removes_a_link_from_either_side(cast, other, sign_in, client):
    sign_in(cast.assigned_handler)
    _link(client, cast.case, other.reference)
    link = CaseLink.objects.get(case=other)
    answer = client.post(_url(other, f"links/{link.pk}/remove/"))
    assert answer.status_code == 302 and answer["Location"] == _url(other) + "#links"
    assert not CaseLink.objects.exists()
    page = client.get(_url(cast.case)).content.decode()
    assert "No linked cases." in page and other.reference not in page
    for case, that in ((cast.case, other), (other, cast.case)):
        (event,) = _events(case, "case.unlinked")
        assert event.payload == {"other_case": that.pk.hex, "link": event.payload["link"]}
    history = client.get(_url(cast.case, "history/?changes=1")).content.decode()
    assert f"removed the link between this case and {other.reference}." in history
    # Linked again afterwards: a new link.
    assert _link(client, cast.case, other.reference, kind="same_team").status_code == 302
    assert CaseLink.objects.filter(kind="same_team").count() == 2


def _refused(client, case, reference, kind="same_person", note=NOTE):
    """Post the form and check it comes back with a clear error and the input kept."""
    answer = _link(client, case, reference, kind=kind, note=note)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "<title>Error:" in page
    assert 'class="govuk-error-summary"' in page
    assert NOTE in page or note != NOTE  # the note typed is kept
    return page


# (what was typed, the message) written by hand.
NOT_FOUND = "No case you can open has that reference. Check it on the other case&#x27;s page."


def test_a_reference_that_is_unknown_malformed_or_hidden_gets_the_same_answer(
    cast, hidden, sign_in, client
):
    sign_in(cast.assigned_handler)
    refusals = AccessRefusal.objects.filter(actor=cast.assigned_handler, action="link")
    pages = {}
    for what, typed in {
        "unknown": "ZZZZ-ZZZZ",
        "hidden": hidden.reference,
        "malformed": "not a reference",
    }.items():
        page = _refused(client, cast.case, typed)
        assert NOT_FOUND in page, what
        assert 'href="#id_reference"' in page, what  # the summary links to the field
        pages[what] = _normalise(page.replace(typed, "TYPED").encode())
    assert pages["hidden"] == pages["unknown"] == pages["malformed"]
    assert hidden.reference not in pages["hidden"].decode().replace("TYPED", "")
    # Each refused alike, with no case named.
    assert refusals.count() == 3
    assert set(refusals.values_list("case_id", flat=True)) == {None}
    assert not CaseLink.objects.exists()
    assert not CaseEvent.objects.filter(code="case.linked").exists()


def test_refusals_are_clear_and_change_nothing(cast, other, sign_in, client):
    sign_in(cast.assigned_handler)
    own = _refused(client, cast.case, cast.case.reference)
    assert "That is this case&#x27;s own reference: enter another case&#x27;s." in own
    assert f'value="{cast.case.reference}"' in own  # what was typed is kept
    no_kind = _refused(client, cast.case, other.reference, kind="")
    assert "Choose what the cases have in common." in no_kind
    assert 'href="#id_kind"' in no_kind
    forged_kind = _refused(client, cast.case, other.reference, kind="same_reporter")
    assert "Choose what the cases have in common." in forged_kind
    long_note = _refused(client, cast.case, other.reference, note="x" * 2001)
    assert "Write at most 2,000 characters." in long_note
    empty = _refused(client, cast.case, "")
    assert "Enter the reference of the case to link." in empty
    assert not CaseLink.objects.exists()
    assert not CaseEvent.objects.filter(code="case.linked").exists()

    assert _link(client, cast.case, other.reference).status_code == 302
    again = _refused(client, other, cast.case.reference, kind="same_team")
    assert "These cases are already linked." in again
    assert CaseLink.objects.filter(kind="same_person").count() == 2
    assert CaseLink.objects.count() == 2
    assert len(_events(cast.case, "case.linked")) == 1


def test_a_case_one_may_see_but_not_work_cannot_be_linked(cast, sign_in, client):
    """The handler also sits in the team that triages the case type: they see its new cases,
    but work only the ones they hold."""
    new = make_case(case_type=cast.case_type)
    cast.assigned_handler.groups.add(Group.objects.get(name="Whistleblowing triage"))
    sign_in(cast.assigned_handler)
    page = _refused(client, cast.case, new.reference)
    assert NOT_BOTH in page
    assert not CaseLink.objects.exists()


@pytest.mark.parametrize(
    ("who", "recorded"),
    [
        # Sees the new case but does not work it: the page is a plain not-found (a GET
        # writes nothing), the post a recorded refusal.
        ("triage_lead", 1),
        # Does not see it: both are the gate's recorded refusals.
        ("unassigned_handler", 2),
        ("governance_lead", 2),
        ("conflicted_handler", 2),
    ],
)
def test_someone_who_does_not_work_the_case_gets_not_found(
    cast, other, sign_in, client, who, recorded
):
    user = getattr(cast, who)
    sign_in(user)
    for answer in (
        client.get(_url(cast.case, "links/new/")),
        _link(client, cast.case, other.reference),
    ):
        assert answer.status_code == 404
    assert AccessRefusal.objects.filter(actor=user, action="link").count() == recorded
    assert not CaseLink.objects.exists()


def test_removing_a_link_that_is_not_there_or_not_seen_is_not_found(
    cast, other, hidden, sign_in, client
):
    both = make_case(case_type=cast.case_type)
    case_assign(case=both, assignee=cast.unassigned_handler, actor=cast.triage_lead)
    sign_in(cast.unassigned_handler)
    assert _link(client, both, hidden.reference).status_code == 302
    elsewhere = CaseLink.objects.get(case=both)
    # The assigned handler and the other handler both work the cast's case and the hidden
    # case is linked to it: the assigned handler does not see the hidden one.
    case_assign(case=cast.case, assignee=cast.unassigned_handler, actor=cast.triage_lead)
    assert _link(client, cast.case, hidden.reference).status_code == 302
    unseen = CaseLink.objects.get(case=cast.case, other=hidden)
    sign_in(cast.assigned_handler)
    for forged in (
        "0c0ffee0-0000-4000-8000-000000000000",
        "not-an-id",
        elsewhere.pk,  # a link of another case
        unseen.pk,  # on this case, to a case they cannot see
    ):
        answer = client.post(_url(cast.case, f"links/{forged}/remove/"))
        assert answer.status_code == 404, forged
    assert client.get(_url(cast.case, f"links/{unseen.pk}/remove/")).status_code == 405
    assert AccessRefusal.objects.filter(actor=cast.assigned_handler, action="unlink").count() == 4
    assert CaseLink.objects.count() == 4


def test_someone_who_sees_both_but_works_one_is_not_offered_removal_and_is_refused(
    cast, sign_in, client
):
    new = make_case(case_type=cast.case_type)
    sign_in(cast.assigned_handler)
    # Linked by someone who works both; the team handler works only the cast's case (their
    # team's grant) but sits in the triage team too, so sees the new case.
    case_assign(case=new, assignee=cast.assigned_handler, actor=cast.triage_lead)
    assert _link(client, cast.case, new.reference).status_code == 302
    cast.team_handler.groups.add(Group.objects.get(name="Whistleblowing triage"))
    link = CaseLink.objects.get(case=cast.case)
    sign_in(cast.team_handler)
    page = client.get(_url(cast.case)).content.decode()
    assert new.reference in page and NOTE in page
    assert "Remove link" not in page
    answer = client.post(_url(cast.case, f"links/{link.pk}/remove/"), follow=True)
    refusal = "Only a handler who works on both cases can remove their link."
    assert refusal in answer.content.decode()
    assert CaseLink.objects.count() == 2
    assert not CaseEvent.objects.filter(code="case.unlinked").exists()


def _everything(client, case):
    """What a browser receives of the case: its page and every page of its timeline."""
    received = [client.get(_url(case)).content.decode()]
    for query in ("", "?changes=1", "?page=2", "?changes=1&page=2"):
        received.append(client.get(_url(case, f"history/{query}")).content.decode())
    return "\n".join(received)


# Every page of the case fetched three times over, as two people: over the fast pass's budget.
@pytest.mark.slow
def test_someone_who_sees_one_case_but_not_the_other_sees_no_trace_of_their_link(
    cast, hidden, sign_in, client
):
    # Someone else works both cases.
    case_assign(case=cast.case, assignee=cast.unassigned_handler, actor=cast.triage_lead)
    sign_in(cast.assigned_handler)
    page_before = _normalise(client.get(_url(cast.case)).content)
    changes_before = _normalise(client.get(_url(cast.case, "history/?changes=1")).content)
    # They link them, remove the link and make it again.
    sign_in(cast.unassigned_handler)
    assert _link(client, cast.case, hidden.reference).status_code == 302
    link = CaseLink.objects.get(case=cast.case)
    client.post(_url(cast.case, f"links/{link.pk}/remove/"))
    assert _link(client, cast.case, hidden.reference, kind="same_team").status_code == 302
    assert (
        CaseEvent.objects.filter(case=cast.case, code__startswith="case.")
        .filter(code__in=["case.linked", "case.unlinked"])
        .count()
        == 3
    )
    link = CaseLink.objects.get(case=cast.case)

    sign_in(cast.assigned_handler)
    received = _everything(client, cast.case)
    markers = {
        "reference": hidden.reference,
        "id": str(hidden.pk),
        "id as hex": hidden.pk.hex,
        "link id": str(link.pk),
        "note": "QZLINKNOTE",
        "kind": "Same team",
        "sentence": "linked this case",
        "removal": "removed the link",
        "unnamed other case": "(same team)",
    }
    assert {what for what, marker in markers.items() if marker in received} == set()
    # The case page itself is as it was, and so is the timeline of changes (its count too).
    assert _normalise(client.get(_url(cast.case)).content) == page_before
    changes_after = _normalise(client.get(_url(cast.case, "history/?changes=1")).content)
    assert changes_after == changes_before
    # The one who works both sees it all.
    sign_in(cast.unassigned_handler)
    assert hidden.reference in client.get(_url(cast.case)).content.decode()
    changes = client.get(_url(cast.case, "history/?changes=1")).content.decode()
    assert changes.count(f"linked this case to {hidden.reference}") == 2
    assert changes.count(f"removed the link between this case and {hidden.reference}") == 1


def test_an_investigator_sees_the_link_not_its_note_and_may_not_link(cast, other, sign_in, client):
    """An external investigator sees what a handler shares (decision 0024): a link's note is
    case content the handler has not shared. Linking is a handler's (decision 0033)."""
    sign_in(cast.assigned_handler)
    _link(client, cast.case, other.reference)
    sign_in(cast.external_investigator)
    page = client.get(_url(cast.case)).content.decode()
    assert other.reference in page
    assert "QZLINKNOTE" not in page
    assert "Remove link" not in page
    # Investigators take the investigation's steps only: a handler links and unlinks.
    link = CaseLink.objects.get(case=cast.case)
    answer = client.post(_url(cast.case, f"links/{link.pk}/remove/"), follow=True)
    assert "Only a handler who works on both cases can remove their link." in (
        answer.content.decode()
    )
    assert CaseLink.objects.filter(pk=link.pk).exists()
    refused = _link(client, cast.case, other.reference, note="QZOWNLINKNOTE")
    assert refused.status_code == 400
    assert CaseLink.objects.count() == 2  # the handler's link, one row on each case


def test_the_panel_offers_removal_exactly_when_the_rule_allows_it(cast, other):
    """``link_list_for_user`` answers ``may_link`` in SQL for each link: the two agree for everyone
    in the cast who sees the link."""
    from cases.links import link_add

    link_add(case=cast.case, other=other, kind="other", note="", actor=cast.assigned_handler)
    cast.team_handler.groups.add(Group.objects.get(name="Whistleblowing triage"))
    seen = {}
    for who in ("assigned_handler", "external_investigator", "team_handler", "triage_lead"):
        user = getattr(cast, who)
        rows = list(link_list_for_user(user, cast.case))
        offered = [(row.other_id, row.may_unlink) for row in rows]  # type: ignore[attr-defined]
        seen[who] = offered
        for row, (_, may_unlink) in zip(rows, offered, strict=True):
            assert may_unlink == may_link(user, cast.case, row.other), who
    assert seen == {
        "assigned_handler": [(other.pk, True)],
        "external_investigator": [(other.pk, False)],  # investigates; a handler links
        "team_handler": [(other.pk, False)],  # sees the new case as triage, works only one
        "triage_lead": [(other.pk, False)],
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7KQM-3XTP", "7KQM-3XTP"),
        (" 7kqm-3xtp ", "7KQM-3XTP"),
        ("7kqm3xtp", "7KQM-3XTP"),
        ("7KQM 3XTP", "7KQM-3XTP"),
        ("7KQM-3XT", None),
        ("7KQM--3XTP", None),
        ("7KQM-3XTP'", None),
        ("", None),
        ("x" * 41, None),
        (None, None),
    ],
)
def test_a_reference_is_read_as_staff_type_it(typed, expected):
    assert reference_normalise(typed) == expected


def test_the_link_form_is_its_own_page_with_a_back_link(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    page = client.get(_url(cast.case, "links/new/")).content.decode()
    assert re.search(r"<title>Link case [^<]+ to another case", page)
    assert f'href="{_url(cast.case)}#links"' in page


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.slow
def test_the_case_page_and_timeline_cost_the_same_for_few_and_many_links(cast, sign_in, client):
    """The panel is one query whatever the number of links, seen or hidden; so is the
    timeline's filter (it is part of the events' own query)."""
    from cases.links import link_add

    def more_links(n: int) -> None:
        for i in range(n):
            seen = make_case(case_type=cast.case_type)
            case_assign(case=seen, assignee=cast.assigned_handler, actor=cast.triage_lead)
            link_add(case=cast.case, other=seen, kind="other", note=f"n{i}", actor=cast.triage_lead)
            unseen = make_case(case_type=cast.case_type)  # new: only its triage team sees it
            link_add(
                case=cast.case, other=unseen, kind="other", note=f"h{i}", actor=cast.triage_lead
            )

    sign_in(cast.assigned_handler)
    page, history = _url(cast.case), _url(cast.case, "history/")
    _queries(client, page)  # the session's first request does its own work once
    more_links(1)
    few = (_queries(client, page), _queries(client, history))
    more_links(3)
    assert (_queries(client, page), _queries(client, history)) == few
    assert client.get(page).content.decode().count("Remove link") == 4
