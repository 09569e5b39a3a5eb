"""notify() and notify_case_holders(): the API other apps call."""

import pytest

from notifications.kinds import CASE_NEWS, DEADLINE_OVERDUE
from notifications.models import Delivery, EmailChoice, EmailPreference, Notification
from notifications.services import notify, notify_case_holders
from tests.builders import make_case, make_case_type


def _emails(cast):
    for user in (cast.assigned_handler, cast.external_investigator, cast.team_handler):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def test_holders_are_the_people_with_a_live_grant_to_work_the_case(cast):
    rows = notify_case_holders(cast.case, DEADLINE_OVERDUE)
    # Expected by hand: the handler, the investigator and the team member; not the
    # excluded team member, not the triage lead (someone holds the case), nobody else.
    assert sorted(n.recipient.username for n in rows) == ["handler", "investigator", "team-member"]
    assert all(n.case_id == cast.case.pk and n.kind == DEADLINE_OVERDUE for n in rows)


def test_nobody_holding_the_case_falls_back_to_its_triage_leads(cast):
    case = make_case(case_type=cast.case_type)
    rows = notify_case_holders(case, DEADLINE_OVERDUE)
    assert [n.recipient.username for n in rows] == ["triage"]


def test_no_holder_and_no_triage_team_notifies_nobody(db):
    assert notify_case_holders(make_case(case_type=make_case_type()), CASE_NEWS) == []


def test_delivery_follows_address_and_choice(cast):
    _emails(cast)
    EmailPreference.objects.create(user=cast.team_handler, email=EmailChoice.DIGEST)
    cast.external_investigator.is_active = False
    cast.external_investigator.save(update_fields=["is_active"])
    rows = notify(
        [cast.assigned_handler, cast.team_handler, cast.external_investigator, cast.triage_lead],
        CASE_NEWS,
        cast.case,
    )
    got = {n.recipient.username: n.delivery for n in rows}
    assert got == {
        "handler": Delivery.PENDING,
        "team-member": Delivery.DIGEST,
        "investigator": Delivery.NONE,  # not active
        "triage": Delivery.NONE,  # no address: still in the workspace
    }


def test_each_person_once_and_an_unknown_kind_refused(cast):
    rows = notify([cast.assigned_handler, cast.assigned_handler], CASE_NEWS)
    assert len(rows) == 1 and rows[0].case is None
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notify([cast.assigned_handler], "tell-them-everything")
    assert Notification.objects.count() == 1
