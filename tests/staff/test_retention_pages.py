"""The retention pages over HTTP: administrators change policies (a shorter one needs a
second administrator), see the purge preview and the overdue holds; governance leads place,
review and lift legal holds. Everyone else gets not-found; forged ids and bad input get a
clear answer and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from permissions.models import StaffEvent
from retention.models import ChangeStatus, LegalHold, PolicyChange, RetentionPolicy
from retention.services import hold_place
from tests.retention.conftest import close
from tests.staff.htmlforms import form_data

ADMIN_PAGES = ["/staff/retention/", "/staff/retention/preview/"]
HOLD_PAGE = "/staff/holds/"


def _policy_url(case_type) -> str:
    return f"/staff/retention/policies/{case_type.pk}/"


def _later(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    "who",
    ["triage_lead", "assigned_handler", "external_investigator", "governance_lead", "superuser"],
)
def test_the_retention_pages_are_not_found_for_anyone_but_administrators(
    cast, sign_in, client, who
):
    sign_in(getattr(cast, who))
    for page in [*ADMIN_PAGES, _policy_url(cast.case_type)]:
        assert client.get(page).status_code == 404, page
    answer = client.post(_policy_url(cast.case_type), {"content_days": 1, "token_days": 1})
    assert answer.status_code == 404
    assert RetentionPolicy.objects.get(case_type=cast.case_type).content_days == 365
    assert b'href="/staff/retention/"' not in client.get("/staff/cases/").content


@pytest.mark.parametrize(
    "who",
    ["triage_lead", "assigned_handler", "administrator", "superuser", "external_investigator"],
)
def test_the_holds_page_is_not_found_for_anyone_but_governance_leads(cast, sign_in, client, who):
    sign_in(getattr(cast, who))
    assert client.get(HOLD_PAGE).status_code == 404
    answer = client.post(
        "/staff/holds/place/",
        {"reference": cast.case.reference, "reason": "x", "review_on": _later(5)},
    )
    assert answer.status_code == 404
    assert not LegalHold.objects.exists()


def test_lengthening_takes_effect_at_once_and_is_audited(cast, sign_in, client):
    sign_in(cast.administrator)
    page = client.get(_policy_url(cast.case_type))
    assert page.status_code == 200 and b'value="365"' in page.content
    answer = client.post(_policy_url(cast.case_type), {"content_days": 400, "token_days": 365})
    assert answer.status_code == 302
    policy = RetentionPolicy.objects.get(case_type=cast.case_type)
    assert (policy.content_days, policy.token_days) == (400, 365)
    event = StaffEvent.objects.filter(code="retention.policy_changed").last()
    assert event.actor == cast.administrator
    assert event.payload == {
        "case_type": cast.case_type.slug,
        "content_days": 400,
        "token_days": 365,
        "was_content_days": 365,  # the values before, beside those after
        "was_token_days": 365,
        "change": None,
    }


def test_shortening_waits_for_a_second_administrator_who_confirms_it(
    cast, second_administrator, sign_in, client
):
    sign_in(cast.administrator)
    client.post(_policy_url(cast.case_type), {"content_days": 30, "token_days": 10})
    change = PolicyChange.objects.get()
    assert RetentionPolicy.objects.get(case_type=cast.case_type).content_days == 365
    # The proposer sees no confirm button, and a forged confirmation is refused.
    page = client.get("/staff/retention/").content.decode()
    assert f"/staff/retention/changes/{change.pk}/confirm/" not in page
    answer = client.post(f"/staff/retention/changes/{change.pk}/confirm/", follow=True)
    assert "A second administrator must confirm this change." in answer.content.decode()
    assert RetentionPolicy.objects.get(case_type=cast.case_type).content_days == 365

    other = sign_in(second_administrator, Client())
    page = other.get("/staff/retention/").content.decode()
    assert f"/staff/retention/changes/{change.pk}/confirm/" in page
    other.post(f"/staff/retention/changes/{change.pk}/confirm/")
    policy = RetentionPolicy.objects.get(case_type=cast.case_type)
    assert (policy.content_days, policy.token_days) == (30, 10)
    change.refresh_from_db()
    assert (change.status, change.confirmed_by) == (ChangeStatus.CONFIRMED, second_administrator)
    codes = list(
        StaffEvent.objects.filter(code__startswith="retention.policy").values_list(
            "code", flat=True
        )
    )
    assert codes[-2:] == ["retention.policy_proposed", "retention.policy_confirmed"]
    confirmed = StaffEvent.objects.get(code="retention.policy_confirmed").payload
    assert confirmed == {
        "case_type": cast.case_type.slug,
        "content_days": 30,
        "token_days": 10,
        "was_content_days": 365,
        "was_token_days": 365,
        "change": change.pk,
    }
    # Deciding twice is refused with a message.
    again = other.post(f"/staff/retention/changes/{change.pk}/close/", follow=True)
    assert "already been decided" in again.content.decode()


def test_a_proposal_is_withdrawn_by_its_proposer_and_declined_by_another(
    cast, second_administrator, sign_in, client
):
    sign_in(cast.administrator)
    for days in (100, 200):
        client.post(_policy_url(cast.case_type), {"content_days": days, "token_days": days})
    first, second = PolicyChange.objects.order_by("pk")
    client.post(f"/staff/retention/changes/{first.pk}/close/")
    other = sign_in(second_administrator, Client())
    other.post(f"/staff/retention/changes/{second.pk}/close/")
    statuses = list(PolicyChange.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [ChangeStatus.WITHDRAWN, ChangeStatus.DECLINED]
    assert RetentionPolicy.objects.get(case_type=cast.case_type).content_days == 365


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"content_days": 0, "token_days": 0}, "A period must be at least one day."),
        ({"content_days": -5, "token_days": 1}, "A period must be at least one day."),
        ({"content_days": "a year", "token_days": 1}, "Give a whole number of days."),
        ({"content_days": "", "token_days": ""}, "Give a number of days."),
        ({"content_days": 10, "token_days": 20}, "no later than the report is deleted"),
        ({"content_days": 365, "token_days": 365}, "That is the policy already."),
    ],
)
def test_bad_periods_are_refused_with_a_message_and_change_nothing(
    cast, sign_in, client, data, message
):
    sign_in(cast.administrator)
    answer = client.post(_policy_url(cast.case_type), data)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not PolicyChange.objects.exists()
    assert RetentionPolicy.objects.get(case_type=cast.case_type).content_days == 365


def test_forged_ids_are_not_found(cast, second_administrator, sign_in, client):
    sign_in(cast.administrator)
    assert client.get("/staff/retention/policies/999999/").status_code == 404
    for action in ("confirm", "close"):
        assert client.post(f"/staff/retention/changes/999999/{action}/").status_code == 404
    assert client.get("/staff/retention/changes/1/confirm/").status_code == 405
    governance = sign_in(cast.governance_lead, Client())
    for action in ("review", "lift"):
        assert governance.post(f"/staff/holds/999999/{action}/").status_code == 404


def test_the_preview_lists_the_due_case_and_the_next_to_fall_due(cast, sign_in, client):
    close(cast.case)
    sign_in(cast.administrator)
    page = client.get("/staff/retention/preview/")
    assert page.status_code == 200
    assert page.context["due"] == []
    assert [row.reference for row in page.context["upcoming"]] == [cast.case.reference]
    assert page.context["upcoming"][0].due_on == timezone.localdate() + dt.timedelta(days=365)


def test_a_governance_lead_places_reviews_and_lifts_a_hold(cast, sign_in, client):
    sign_in(cast.governance_lead)
    answer = client.post(
        "/staff/holds/place/",
        {
            "reference": cast.case.reference.lower(),
            "reason": "Tribunal claim.",
            "review_on": _later(30),
        },
    )
    assert answer.status_code == 302
    hold = LegalHold.objects.get()
    assert b"Tribunal claim." not in bytes(hold.reason)
    page = client.get(HOLD_PAGE).content.decode()
    assert "Tribunal claim." in page and cast.case.reference in page
    client.post(f"/staff/holds/{hold.pk}/review/", {"review_on": _later(60)})
    hold.refresh_from_db()
    assert hold.review_on.isoformat() == _later(60) and hold.reviewed_at is not None
    client.post(f"/staff/holds/{hold.pk}/lift/")
    hold.refresh_from_db()
    assert hold.lifted_by == cast.governance_lead
    codes = list(
        cast.case.events.filter(code__startswith="retention.").values_list("code", flat=True)
    )
    assert codes == ["retention.hold_placed", "retention.hold_reviewed", "retention.hold_lifted"]
    assert client.post(f"/staff/holds/{hold.pk}/lift/").status_code == 404  # no longer active


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        (
            {"reference": "NOPE-NOPE", "reason": "x", "review_on": _later(5)},
            "No case has that reference.",
        ),
        ({"reference": "", "reason": "x", "review_on": _later(5)}, "Give the reference."),
        ({"reference": "X", "reason": "", "review_on": _later(5)}, "Give the reason for the hold."),
        ({"reference": "X", "reason": "x", "review_on": "soon"}, "Give a date."),
        ({"reference": "X", "reason": "x", "review_on": _later(0)}, "must be in the future"),
    ],
)
def test_a_bad_hold_is_refused_with_a_message(cast, sign_in, client, data, field_error):
    sign_in(cast.governance_lead)
    if data["reference"] == "X":
        data = {**data, "reference": cast.case.reference}
    answer = client.post("/staff/holds/place/", data)
    assert answer.status_code == 400
    assert field_error in answer.content.decode()
    assert not LegalHold.objects.exists()


def test_a_bad_review_date_is_refused_and_the_hold_stands(cast, sign_in, client):
    hold = hold_place(
        actor=cast.governance_lead,
        reference=cast.case.reference,
        reason="r",
        review_on=timezone.localdate() + dt.timedelta(days=5),
    )
    sign_in(cast.governance_lead)
    for bad in ("", "tomorrow", _later(-1)):
        client.post(f"/staff/holds/{hold.pk}/review/", {"review_on": bad})
    hold.refresh_from_db()
    assert hold.reviewed_at is None and hold.lifted_at is None


def test_holds_past_review_appear_on_the_administrators_page(cast, sign_in, client):
    hold = hold_place(
        actor=cast.governance_lead,
        reference=cast.case.reference,
        reason="r",
        review_on=timezone.localdate() + dt.timedelta(days=5),
    )
    sign_in(cast.administrator)
    assert list(client.get("/staff/retention/").context["overdue"]) == []
    # Six days on, unreviewed (time passing, written directly).
    LegalHold.objects.filter(pk=hold.pk).update(
        review_on=timezone.localdate() - dt.timedelta(days=1)
    )
    page = client.get("/staff/retention/")
    assert [h.case.reference for h in page.context["overdue"]] == [cast.case.reference]


def test_a_token_period_that_ends_before_the_check_in_is_refused_through_the_page(
    cast, sign_in, client
):
    """The check-in is answered with the token: a token that stops working before the
    check-in is asked would leave the question unanswerable."""
    cast.case_type.checkin_after_weeks = 12
    cast.case_type.save(update_fields=["checkin_after_weeks"])
    sign_in(cast.administrator)
    for token_days, status in ((84, 400), (85, 302)):
        answer = client.post(
            _policy_url(cast.case_type), {"content_days": 400, "token_days": token_days}
        )
        assert answer.status_code == status, token_days
    assert "past the check-in, which is asked 12 weeks (84 days) after closure" in (
        client.post(
            _policy_url(cast.case_type), {"content_days": 500, "token_days": 30}
        ).content.decode()
    )
    # Shortening the token's period waits for a second administrator: one proposal, 85 days.
    proposed = PolicyChange.objects.values_list("content_days", "token_days")
    assert list(proposed) == [(400, 85)]


def test_a_check_in_later_than_the_token_works_is_refused_on_the_case_type_form(
    cast, sign_in, client
):
    """The same rule from the other side: the case type's form refuses a check-in asked after
    the reporter's token has stopped working, saying when it stops, and saves nothing."""
    RetentionPolicy.objects.filter(case_type=cast.case_type).update(token_days=84)
    sign_in(cast.administrator)  # case types are edited in the Django admin (for now)
    path = f"/admin/cases/casetype/{cast.case_type.pk}/change/"
    data = form_data(client.get(path).content.decode())
    for weeks, status in (("12", 200), ("11", 302)):
        answer = client.post(path, {**data, "checkin_after_weeks": weeks, "_save": "Save"})
        assert answer.status_code == status, weeks
        if status == 200:
            assert "stops working 84 days after closure under this type&#x27;s retention" in (
                answer.content.decode()
            )
            cast.case_type.refresh_from_db()
            assert cast.case_type.checkin_after_weeks != 12
    cast.case_type.refresh_from_db()
    assert cast.case_type.checkin_after_weeks == 11
