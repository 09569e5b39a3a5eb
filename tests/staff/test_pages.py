"""Staff pages do what they say for the people allowed, through the gate and the services."""

import html
import io
import logging
import re

import pytest
from django.utils import timezone

from cases.models import CaseEvent, MessageKind
from cases.services import evidence_attach, message_add
from permissions.access import case_queryset_for_user
from permissions.models import AccessRefusal
from workflows.models import Clock
from workflows.services import case_transition


def test_the_case_page_shows_content_and_records_one_view(cast, sign_in, client):
    message_add(
        case=cast.case,
        kind=MessageKind.INTERNAL_NOTE,
        body="A private note",
        author=cast.assigned_handler,
    )
    sign_in(cast.assigned_handler)
    before = CaseEvent.objects.filter(case=cast.case, code="case.viewed").count()
    page = client.get(f"/staff/cases/{cast.case.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Something happened." in text and "A private note" in text
    assert "call me on 0700 000000" in text
    assert CaseEvent.objects.filter(case=cast.case, code="case.viewed").count() == before + 1


def test_an_investigator_sees_the_case_but_not_the_report_until_shared_nor_the_contact(
    cast, sign_in, client
):
    sign_in(cast.external_investigator)
    page = client.get(f"/staff/cases/{cast.case.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert cast.case.reference in text
    assert "Something happened." not in text  # the report as written: never theirs
    assert "A handler has not shared the report with you yet." in text
    assert "0700 000000" not in text


def _timeline(client, case, query: str = "") -> list[str]:
    """The timeline's entries as (day heading or sentence) lines, in page order."""
    page = client.get(f"/staff/cases/{case.pk}/history/{query}").content.decode()
    main = re.search(r"<main.*?</main>", page, re.S).group(0)
    lines = re.findall(r'<h2 class="govuk-heading-s">(.*?)</h2>|<br>(.*?)</li>', main)
    return [html.unescape(day or sentence) for day, sentence in lines]


@pytest.mark.slow  # about 1.2 s of CPU: the second pass (decision 0017)
def test_the_timeline_reads_as_sentences_naming_people_grouped_by_day(cast, sign_in, client):
    cast.triage_lead.first_name, cast.triage_lead.last_name = "Tess", "Riley"
    cast.triage_lead.save()
    cast.assigned_handler.first_name, cast.assigned_handler.last_name = "Ann", "Smith"
    cast.assigned_handler.save()
    sign_in(cast.assigned_handler)
    for _ in range(3):
        client.get(f"/staff/cases/{cast.case.pk}/")  # three looks at the case
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    client.get(f"/staff/cases/{cast.case.pk}/")
    today = timezone.localdate()
    received = cast.case.received_on
    due = Clock.objects.get(case=cast.case, kind="acknowledge").due_on
    staff_lines = [
        "Tess Riley (triage lead) assigned the case to Ann Smith (handler) as handler.",
        "Tess Riley (triage lead) assigned the case to investigator (external investigator)"
        " as external investigator.",
        "Tess Riley (triage lead) assigned the case to team Whistleblowing handlers.",
        "Tess Riley (triage lead) excluded conflicted (handler) from the case (subject).",
        "Ann Smith (handler) viewed the case 3 times.",
        "Ann Smith (handler) moved the case from Received to Acknowledged.",
        f"The deadline to acknowledge (due {due.isoformat()}) was met.",
        # The case page once more, and this look at the timeline itself (recorded first).
        "Ann Smith (handler) viewed the case 2 times.",
    ]
    heading = f"{today:%A} {today.day} {today:%B %Y}"
    # The reporter's report is dated to the day only: it comes after the day's timed entries,
    # so that its place among them says nothing of the time of day (decision 0009).
    assert received == today
    expected = [heading, *staff_lines, "The case was received."]
    lines = _timeline(client, cast.case)
    assert lines == expected
    changes = _timeline(client, cast.case, "?changes=1")
    assert changes == [line for line in expected if "viewed the case" not in line]
    assert "user " not in " ".join(lines)


def test_evidence_downloads_under_a_safe_name(cast, sign_in, client):
    evidence = evidence_attach(
        case=cast.case,
        source=io.BytesIO(b"%PDF-1.7"),
        original_name='../"evil"\r\nname.pdf',
        content_type="application/pdf",
    )
    sign_in(cast.assigned_handler)
    answer = client.get(f"/staff/cases/{cast.case.pk}/evidence/{evidence.pk}/")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"%PDF-1.7"
    disposition = answer["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition
    assert disposition.startswith('attachment; filename="')


def test_a_triage_lead_assigns_through_the_page_and_the_handler_gets_in(cast, sign_in, client):
    sign_in(cast.triage_lead)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/assign/", {"assignee": cast.unassigned_handler.pk}
    )
    assert answer.status_code == 302
    assert case_queryset_for_user(cast.unassigned_handler).filter(pk=cast.case.pk).exists()
    client.post(f"/staff/cases/{cast.case.pk}/unassign/", {"user": cast.unassigned_handler.pk})
    assert not case_queryset_for_user(cast.unassigned_handler).filter(pk=cast.case.pk).exists()


def test_a_triage_lead_assigning_themselves_is_refused_with_a_message(cast, sign_in, client):
    sign_in(cast.triage_lead)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/assign/", {"assignee": cast.triage_lead.pk}, follow=True
    )
    # Not among the choices (not a handler), so the form refuses before the service does.
    assert "Choose someone to assign" in answer.content.decode()


def test_a_handler_trying_to_assign_themselves_gets_not_found_and_is_recorded(
    cast, sign_in, client
):
    from permissions.models import AccessRefusal

    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/assign/", {"assignee": cast.assigned_handler.pk}
    )
    assert answer.status_code == 404
    assert AccessRefusal.objects.filter(actor=cast.assigned_handler, action="assign").exists()


def test_a_refusal_the_database_will_not_take_is_logged_and_the_answer_stays_not_found(
    cast, sign_in, client, monkeypatch, caplog
):
    """Not an error page: that would tell the person there was something to refuse."""
    from django.db import OperationalError

    from permissions.models import AccessRefusal

    def broken(**kwargs):
        raise OperationalError("the database is full")

    sign_in(cast.unassigned_handler)
    client.get("/staff/")  # signed in and settled before the fault
    monkeypatch.setattr("permissions.access.chain_append", broken)
    with caplog.at_level(logging.ERROR, logger="speakup.access"):
        answer = client.get(f"/staff/cases/{cast.case.pk}/")
    assert answer.status_code == 404
    assert not AccessRefusal.objects.exists()
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "speakup.access"]
    assert logged.startswith(
        f"refusal not recorded actor_id={cast.unassigned_handler.pk} case_id={cast.case.pk} "
        "action=view at="
    )
    assert logged.endswith("error=OperationalError")
    monkeypatch.undo()
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404
    assert AccessRefusal.objects.filter(actor=cast.unassigned_handler).count() == 1


def test_excluding_and_confirming_through_the_page(cast, sign_in, client):
    sign_in(cast.triage_lead)
    client.post(
        f"/staff/cases/{cast.case.pk}/exclude/",
        {"user": cast.assigned_handler.pk, "kind": "subject"},
    )
    assert not case_queryset_for_user(cast.assigned_handler).filter(pk=cast.case.pk).exists()
    exclusion = cast.case.exclusions.get(user=cast.assigned_handler)
    page = client.post(
        f"/staff/cases/{cast.case.pk}/exclusions/{exclusion.pk}/confirm/", follow=True
    )
    assert "A second person must confirm" in page.content.decode()


def test_stepping_aside_through_the_page(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    empty = client.post(f"/staff/cases/{cast.case.pk}/recuse/", {"reason": ""}, follow=True)
    assert "Give a reason" in empty.content.decode()
    answer = client.post(f"/staff/cases/{cast.case.pk}/recuse/", {"reason": "I know them"})
    assert answer.status_code == 302
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404


def test_the_not_found_page_says_nothing_about_the_case(cast, sign_in, client):
    sign_in(cast.unassigned_handler)
    page = client.get(f"/staff/cases/{cast.case.pk}/")
    assert page.status_code == 404
    assert cast.case.reference not in page.content.decode()


def test_a_handler_moves_the_case_and_messages_the_reporter_from_the_page(cast, sign_in, client):
    from cases.selectors import message_list_for_case

    sign_in(cast.assigned_handler)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert 'value="acknowledge"' in page and "Deadlines" in page
    moved = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {"step": "acknowledge", "expected_state": "received"},
        follow=True,
    )
    assert "The case has moved on." in moved.content.decode()
    stale = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {"step": "acknowledge", "expected_state": "received"},
        follow=True,
    )
    assert "has moved on since you opened it" in stale.content.decode()
    client.post(
        f"/staff/cases/{cast.case.pk}/message/", {"kind": "to_reporter", "body": "We are on it."}
    )
    client.post(
        f"/staff/cases/{cast.case.pk}/message/",
        {"kind": "internal_note", "body": "Check invoices."},
    )
    seen_by_reporter = [m.body for m in message_list_for_case(cast.case, include_internal=False)]
    assert seen_by_reporter == ["We are on it."]
    assert (
        client.post(
            f"/staff/cases/{cast.case.pk}/message/", {"kind": "from_reporter", "body": "x"}
        ).status_code
        == 404
    )


def test_a_triage_lead_sees_no_steps_and_cannot_take_one(cast, sign_in, client):
    sign_in(cast.triage_lead)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert 'name="step"' not in page
    answer = client.post(f"/staff/cases/{cast.case.pk}/step/", {"step": "acknowledge"})
    assert answer.status_code == 404


def test_an_investigator_is_offered_only_their_steps(cast, sign_in, client):
    from workflows.services import case_transition

    for step in ("acknowledge", "begin_assessment"):
        case_transition(case=cast.case, name=step, actor=cast.assigned_handler)
    sign_in(cast.external_investigator)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert 'value="record_outcome"' in page and 'value="open_investigation"' not in page


def test_the_process_page_is_read_from_the_code(cast, sign_in, client):
    sign_in(cast.governance_lead)
    page = client.get("/staff/workflows/").content.decode()
    assert "Decide the appeal" in page and "someone who took no part before" in page
    assert "Record the outcome" in page and "External investigator, Handler" in page
    assert cast.case.reference not in page


def test_recording_category_actions_deadlines_police_and_support_from_the_page(
    cast, sign_in, client
):
    from cases.models import CaseEvent, Category
    from cases.selectors import case_actions

    other = Category.objects.create(case_type=cast.case_type, slug="safety", name="Safety")
    sign_in(cast.assigned_handler)
    base = f"/staff/cases/{cast.case.pk}"
    client.post(f"{base}/category/", {"category": other.pk})
    client.post(
        f"{base}/actions/",
        {"title": "Call the supplier", "owner": cast.assigned_handler.pk, "due_on": "2027-01-04"},
    )
    (action,) = case_actions(cast.case)
    client.post(f"{base}/actions/done/", {"action": str(action.id)})
    client.post(
        f"{base}/deadlines/",
        {"clock": "acknowledge", "change": "extend", "days": "3", "reason": "Waiting"},
    )
    client.post(f"{base}/police/", {"on": "2026-11-20"})
    client.post(f"{base}/support/", {"party": "witness"})
    cast.case.refresh_from_db()
    assert cast.case.category == other and str(cast.case.police_referred_on) == "2026-11-20"
    assert case_actions(cast.case)[0].done
    codes = set(CaseEvent.objects.filter(case=cast.case).values_list("code", flat=True))
    assert {
        "case.categorised",
        "action.added",
        "action.completed",
        "clock.extended",
        "case.police_referred",
        "case.support_offered",
    } <= codes
    bad = client.post(
        f"{base}/deadlines/",
        {"clock": "acknowledge", "change": "extend", "days": "3", "reason": ""},
        follow=True,
    )
    assert "Give a reason." in bad.content.decode()
    # The one URL that routed every operation by a hidden field is gone.
    assert client.post(f"{base}/record/", {"what": "category"}).status_code == 404


def test_an_external_investigator_sees_the_redacted_report(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    client.post(
        f"/staff/cases/{cast.case.pk}/redaction/",
        {"redacted_what_happened": "Something happened in [team]."},
    )
    sign_in(cast.external_investigator)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert "Something happened in [team]." in page
    assert "You are shown the version of the report a handler prepared" in page
    # Refused like an outsider, and recorded (decision 0024).
    refused = client.post(f"/staff/cases/{cast.case.pk}/redaction/", {})
    assert refused.status_code == 404
    assert AccessRefusal.objects.filter(
        actor=cast.external_investigator, action="redaction"
    ).exists()
