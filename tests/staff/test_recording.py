"""Recording on a case through the page: one URL and one form per operation. Each is tested
with good input (tests/staff/test_pages.py walks them all), forged or invalid input (a clear
message, nothing recorded) and someone who may not (not-found, or refused by the rule)."""

import pytest

from cases.models import CaseEvent, Category
from cases.selectors import case_actions, case_content
from permissions.models import AccessRefusal
from tests.builders import make_case, make_case_type, make_decider, make_handler
from workflows.services import case_transition

# operation: (path under the case, a forged or invalid post, the message it gets)
FORGED = {
    "category": ("category/", {"category": "999999"}, "Choose a category."),
    "action": ("actions/", {"title": ""}, "Give the action."),
    "action_done": ("actions/done/", {"action": "not-an-id"}, "That action is not on this case."),
    "deadline_clock": (
        "deadlines/",
        {"clock": "99999", "change": "pause", "reason": "x"},
        "There is no such deadline on this case.",
    ),
    "deadline_change": (
        "deadlines/",
        {"clock": "acknowledge", "change": "delete", "reason": "x"},
        "Choose how to change the deadline.",
    ),
    "police": ("police/", {"on": "20th of November"}, "Give the date of the referral."),
    "police_future": ("police/", {"on": "2999-01-01"}, "cannot be dated in the future"),
    "support": ("support/", {"party": "the press"}, "Choose who was offered support."),
}
# What each would have written had it gone through.
WRITES = {
    "category/": "case.categorised",
    "actions/": "action.added",
    "actions/done/": "action.completed",
    "deadlines/": "clock.paused",
    "police/": "case.police_referred",
    "support/": "case.support_offered",
    "redaction/": "case.redacted",
}
# Something each would accept from someone allowed.
GOOD = {
    "category/": {"category": ""},  # replaced by a real category in the test
    "actions/": {"title": "Call them"},
    "deadlines/": {"clock": "acknowledge", "change": "pause", "reason": "Waiting."},
    "police/": {"on": "2026-11-20"},
    "support/": {"party": "witness"},
    "redaction/": {"redacted_what_happened": "[removed]"},
}


def _events(case, code):
    return CaseEvent.objects.filter(case=case, code=code).count()


@pytest.mark.parametrize(("path", "post", "message"), FORGED.values(), ids=FORGED.keys())
def test_forged_or_invalid_input_gets_a_clear_message_and_records_nothing(
    cast, sign_in, client, path, post, message
):
    sign_in(cast.assigned_handler)
    before = CaseEvent.objects.filter(case=cast.case).exclude(code="case.viewed").count()
    answer = client.post(f"/staff/cases/{cast.case.pk}/{path}", post, follow=True)
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert CaseEvent.objects.filter(case=cast.case).exclude(code="case.viewed").count() == before


@pytest.mark.parametrize("odd", ["-" * 32, "²", "0" * 200, "%00"])
def test_odd_action_ids_get_a_message_not_a_crash(cast, sign_in, client, odd):
    sign_in(cast.assigned_handler)
    answer = client.post(f"/staff/cases/{cast.case.pk}/actions/done/", {"action": odd}, follow=True)
    assert "That action is not on this case." in answer.content.decode()


def test_an_action_of_another_case_is_not_on_this_one(cast, sign_in, client):
    other = make_case(case_type=cast.case_type)
    handler = make_handler(other, "other-case-handler")
    sign_in(handler)
    client.post(f"/staff/cases/{other.pk}/actions/", {"title": "Elsewhere"})
    (action,) = case_actions(other)
    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/actions/done/", {"action": str(action.id)}, follow=True
    )
    assert "That action is not on this case." in answer.content.decode()
    assert not case_actions(other)[0].done


def test_a_category_of_another_case_type_is_refused(cast, sign_in, client):
    foreign = Category.objects.create(case_type=make_case_type(), slug="x", name="Foreign")
    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/category/", {"category": foreign.pk}, follow=True
    )
    assert "Choose a category." in answer.content.decode()
    cast.case.refresh_from_db()
    assert cast.case.category != foreign


@pytest.mark.parametrize("who", ["unassigned_handler", "triage_lead", "conflicted_handler"])
@pytest.mark.parametrize("path", WRITES.keys())
def test_someone_who_does_not_work_the_case_gets_not_found_and_nothing_is_written(
    cast, sign_in, client, who, path
):
    sign_in(getattr(cast, who))
    post = dict(GOOD.get(path, {"action": "00000000-0000-0000-0000-000000000000"}))
    answer = client.post(f"/staff/cases/{cast.case.pk}/{path}", post)
    assert answer.status_code == 404
    assert _events(cast.case, WRITES[path]) == 0


# Written by hand: what an external investigator who works the case may not record, and the
# action its refusal is recorded under (docs/decisions/0024-investigator-sharing.md).
INVESTIGATOR_REFUSED = {
    "redaction/": "redaction",
    "deadlines/": "deadline",
    "category/": "category",
    "police/": "police",
    "support/": "support",
    "actions/": "action",
    "actions/done/": "action_done",
}


@pytest.mark.parametrize(("path", "action"), INVESTIGATOR_REFUSED.items())
def test_an_external_investigator_is_refused_the_handlers_records_and_it_is_recorded(
    cast, sign_in, client, path, action
):
    post = dict(GOOD.get(path, {"action": "00000000-0000-0000-0000-000000000000"}))
    if path == "category/":
        category = Category.objects.create(case_type=cast.case_type, slug="c", name="C")
        post["category"] = str(category.pk)
    sign_in(cast.external_investigator)
    answer = client.post(f"/staff/cases/{cast.case.pk}/{path}", post)
    assert answer.status_code == 404
    assert (
        AccessRefusal.objects.filter(
            actor=cast.external_investigator, case_id=cast.case.pk, action=action
        ).count()
        == 1
    )
    assert _events(cast.case, WRITES[path]) == 0
    cast.case.refresh_from_db()
    assert cast.case.category is None and cast.case.police_referred_on is None
    assert case_content(cast.case).redacted_answers is None


def test_the_services_refuse_an_investigator_whatever_calls_them(cast):
    from cases.exceptions import NotAllowed
    from workflows.services import case_record_category, case_record_police_referral

    category = Category.objects.create(case_type=cast.case_type, slug="c", name="C")
    with pytest.raises(NotAllowed):
        case_record_category(case=cast.case, actor=cast.external_investigator, category=category)
    with pytest.raises(NotAllowed):
        case_record_police_referral(
            case=cast.case, actor=cast.external_investigator, on=cast.case.received_on
        )
    assert _events(cast.case, "case.categorised") + _events(cast.case, "case.police_referred") == 0


def test_the_page_offers_an_investigator_none_of_the_handlers_records(cast, sign_in, client):
    sign_in(cast.external_investigator)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    for path in INVESTIGATOR_REFUSED:
        assert f"/staff/cases/{cast.case.pk}/{path}" not in page, path
    assert 'value="to_reporter"' not in page and 'value="internal_note"' in page
    sign_in(cast.assigned_handler)
    client.post(f"/staff/cases/{cast.case.pk}/actions/", {"title": "Call them"})
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    for path in INVESTIGATOR_REFUSED:
        assert f"/staff/cases/{cast.case.pk}/{path}" in page, path
    assert 'value="to_reporter"' in page


def test_every_recording_form_on_the_page_posts_to_its_own_url(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    client.post(f"/staff/cases/{cast.case.pk}/actions/", {"title": "Call them"})
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    for path in (*WRITES, "actions/done/"):
        assert f'action="/staff/cases/{cast.case.pk}/{path}"' in page
    assert 'name="what"' not in page


@pytest.mark.parametrize("method", ["get", "put"])
def test_the_recording_urls_take_posts_only(cast, sign_in, client, method):
    sign_in(cast.assigned_handler)
    for path in WRITES:
        assert getattr(client, method)(f"/staff/cases/{cast.case.pk}/{path}").status_code == 405


def test_decide_appeal_is_offered_only_to_the_decision_maker_given_the_appeal(db, sign_in, client):
    case = make_case(case_type=make_case_type(workflow="bullying"), state="formal_investigation")
    first = make_handler(case, "first")
    case = case_transition(
        case=case, name="record_decision", actor=first, outcome="substantiated", reason="Because."
    )
    case_transition(
        case=case, name="open_appeal", actor=first, outcome="substantiated", reason="Because."
    )
    sign_in(first)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'value="decide_appeal"' not in page
    second = make_handler(case, "second")
    sign_in(second)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'value="decide_appeal"' not in page
    sign_in(make_decider(case))
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'value="decide_appeal"' in page
