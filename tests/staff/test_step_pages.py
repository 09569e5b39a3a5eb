"""Steps on the case page (issue 15, sections 1 and 6): the normal course's first step is the
primary button; steps that end a case another way are apart, as warning buttons, each confirmed
with its reason on a page of its own; a refused step shows its error linked to the field it is
about, and keeps what was typed."""

import html
import re

from cases.models import Case
from permissions.models import AccessRefusal
from tests.builders import STEP_DATA, path_to
from workflows.services import case_transition


def _page(client, case) -> str:
    return html.unescape(client.get(f"/staff/cases/{case.pk}/").content.decode())


def _summary_link(page: str) -> tuple[str, str]:
    found = re.search(r'govuk-error-summary__list"><li><a href="#([^"]+)">(.*?)</a>', page, re.S)
    assert found, "no error summary"
    return found.group(1), found.group(2)


def test_the_next_step_is_primary_and_leaving_steps_are_apart_and_confirmed(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    page = _page(client, cast.case)  # received: acknowledge; or leave: not in scope, withdraw
    buttons = re.findall(r'<button type="submit" id="step-(\w+)" class="([^"]+)"', page)
    assert buttons == [("acknowledge", "govuk-button")]
    leaving = re.findall(
        r'<a class="govuk-button govuk-button--warning" id="step-(\w+)"[^>]*href="([^"]+)"', page
    )
    base = f"/staff/cases/{cast.case.pk}/step"
    assert leaving == [
        ("mark_not_in_scope", f"{base}/mark_not_in_scope/confirm/"),
        ("withdraw", f"{base}/withdraw/confirm/"),
    ]
    assert 'name="step" value="withdraw"' not in page  # no direct form for a leaving step

    confirm = client.get(f"{base}/withdraw/confirm/")
    text = html.unescape(confirm.content.decode())
    assert confirm.status_code == 200
    assert "Are you sure: Withdraw the case?" in text
    assert (
        'name="confirmed" value="yes"' in text
        and '<textarea class="govuk-textarea" id="reason"' in text
    )


def test_a_confirm_page_only_for_a_leaving_step_the_person_may_take(cast, sign_in, client):
    base = f"/staff/cases/{cast.case.pk}/step"
    sign_in(cast.assigned_handler)
    assert client.get(f"{base}/acknowledge/confirm/").status_code == 404  # not a leaving step
    assert client.get(f"{base}/reopen/confirm/").status_code == 404  # not from this stage
    assert client.get(f"{base}/nonsense/confirm/").status_code == 404
    sign_in(cast.triage_lead)  # sees the case, may not work it: no step to confirm
    assert client.get(f"{base}/withdraw/confirm/").status_code == 404
    sign_in(cast.unassigned_handler)  # does not reach the case: refused, and recorded
    assert client.get(f"{base}/withdraw/confirm/").status_code == 404
    assert AccessRefusal.objects.filter(actor=cast.unassigned_handler, action="step").exists()


def test_a_leaving_step_without_its_reason_stays_on_its_page_with_a_linked_error(
    cast, sign_in, client
):
    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {"step": "withdraw", "expected_state": "received", "confirmed": "yes", "reason": " "},
    )
    page = html.unescape(answer.content.decode())
    assert answer.status_code == 400
    assert _summary_link(page) == ("reason", "Give a reason for this step.")
    assert "<title>Error: Withdraw the case" in page
    assert Case.objects.get(pk=cast.case.pk).state == "received"


def test_a_stale_leaving_step_says_so_and_keeps_the_typed_reason(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {
            "step": "withdraw",
            "expected_state": "received",  # the page was opened before the case moved on
            "confirmed": "yes",
            "reason": "The reporter asked us to stop & <not> go on.",
        },
    )
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "This case has moved on since you opened it." in html.unescape(page)
    assert ">The reporter asked us to stop &amp; &lt;not&gt; go on.</textarea>" in page
    assert Case.objects.get(pk=cast.case.pk).state == "acknowledged"


def test_a_step_on_the_case_page_without_its_outcome_links_to_the_field_and_keeps_input(
    cast, sign_in, client
):
    for name in path_to("whistleblowing", "assessment"):
        case_transition(case=cast.case, name=name, actor=None, **STEP_DATA)
    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {"step": "record_outcome", "expected_state": "assessment", "outcome": ""},
    )
    page = html.unescape(answer.content.decode())
    assert answer.status_code == 400
    assert _summary_link(page) == (
        "outcome-record_outcome",
        "Choose the outcome before recording it.",
    )
    assert 'id="outcome-record_outcome-error"' in page
    assert "<title>Error: Case " in page

    # A step taken: back to the case, moved on.
    done = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {
            "step": "withdraw",
            "expected_state": "assessment",
            "confirmed": "yes",
            "reason": "Withdrawn at the reporter's request.",
        },
    )
    assert done.status_code == 302
    assert Case.objects.get(pk=cast.case.pk).state == "withdrawn"
