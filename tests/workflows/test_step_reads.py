"""What a step reads once and writes together (docs/performance.md, B4) still says the same
thing: the roles read with the locked case decide the step as a separate read did, and the
clocks' history rows written in one INSERT carry what django-simple-history's own rows carry
(type, values, the signed-in user)."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.utils import timezone

from cases.exceptions import InvalidTransition
from cases.models import Case, CaseEvent
from permissions.roles import roles_of
from tests.builders import make_case, make_case_type, make_handler
from workflows.services import case_transition

pytestmark = pytest.mark.django_db

HistoricalClock = apps.get_model("workflows", "HistoricalClock")
HistoricalCase = apps.get_model("cases", "HistoricalCase")


@pytest.fixture
def received():
    case = make_case(case_type=make_case_type())
    return case, make_handler(case)


def _refused_for_role(case):
    return list(
        CaseEvent.objects.filter(case=case, code="case.transition_refused").values_list(
            "payload", flat=True
        )
    )


def test_a_grant_without_a_role_is_refused_the_step(received):
    case, handler = received
    handler.groups.clear()  # still granted the case, no longer a handler
    with pytest.raises(InvalidTransition, match="role"):
        case_transition(case=case, name="acknowledge", actor=handler)
    assert Case.objects.get(pk=case.pk).state == "received"
    assert _refused_for_role(case) == [{"transition": "acknowledge", "reason": "role"}]


def test_a_team_is_not_a_role_and_a_second_role_does_not_hide_the_first(received):
    case, handler = received
    handler.groups.add(Group.objects.create(name="Finance team"))
    handler.groups.add(Group.objects.get_or_create(name="Governance lead")[0])
    case_transition(case=case, name="acknowledge", actor=handler)
    assert Case.objects.get(pk=case.pk).state == "acknowledged"


def test_a_role_taken_away_after_a_step_refuses_the_next_one(received):
    case, handler = received
    case_transition(case=case, name="acknowledge", actor=handler)
    # The same user object, as one request would hold it: its remembered roles are dropped.
    handler.groups.remove(Group.objects.get(name="Handler"))
    assert roles_of(handler) == set()  # what any other page of that request would ask
    with pytest.raises(InvalidTransition, match="role"):
        case_transition(case=case, name="begin_assessment", actor=handler)
    # Taken away from the group's side, seen by the next request's fresh user object.
    other = make_case(case_type=case.case_type)
    fresh_handler = make_handler(other, "second-handler")
    case_transition(case=other, name="acknowledge", actor=fresh_handler)
    Group.objects.get(name="Handler").user_set.remove(fresh_handler)
    with pytest.raises(InvalidTransition, match="role"):
        case_transition(
            case=other, name="begin_assessment", actor=User.objects.get(pk=fresh_handler.pk)
        )
    assert Case.objects.get(pk=other.pk).state == "acknowledged"


def test_the_clocks_history_rows_name_the_signed_in_handler(received, sign_in, client):
    case, handler = received
    sign_in(handler)
    client.get("/staff/")
    answer = client.post(
        f"/staff/cases/{case.pk}/step/", {"step": "acknowledge", "expected_state": "received"}
    )
    assert answer.status_code == 302
    today = timezone.localdate()
    rows = sorted(
        HistoricalClock.objects.filter(case_id=case.pk).values_list(
            "kind", "history_type", "stopped_on", "met", "history_user_id", "history_change_reason"
        ),
        key=str,
    )
    assert rows == sorted(
        [
            # Filed by the reporter: no user.
            ("acknowledge", "+", None, None, None, None),
            # The step: stopped and met, and the feedback deadline started, by the handler.
            ("acknowledge", "~", today, True, handler.pk, None),
            ("feedback", "+", None, None, handler.pk, None),
        ],
        key=str,
    )
    # The case's row too, written with them (cases.history) rather than by the signal.
    assert list(
        HistoricalCase.objects.filter(id=case.pk)
        .order_by("history_id")
        .values_list("state", "history_type", "history_user_id", "history_change_reason")
    ) == [("received", "+", None, None), ("acknowledged", "~", handler.pk, None)]


def test_a_steps_case_history_row_holds_every_column_of_the_moved_case(received):
    case, handler = received
    case_transition(case=case, name="acknowledge", actor=handler)
    row = HistoricalCase.objects.filter(id=case.pk).latest("history_id")
    moved = Case.objects.get(pk=case.pk)
    fields = [f.attname for f in HistoricalCase.tracked_fields]
    assert "token_digest" not in fields  # excluded from the case's history
    assert {f: getattr(row, f) for f in fields} == {f: getattr(moved, f) for f in fields}


def test_a_step_by_the_system_writes_clock_history_without_a_user(received):
    case, _handler = received
    case_transition(case=case, name="acknowledge", actor=None)
    rows = sorted(
        HistoricalClock.objects.filter(case_id=case.pk).values_list(
            "kind", "history_type", "history_user_id"
        ),
        key=str,
    )
    assert rows == sorted(
        [("acknowledge", "+", None), ("acknowledge", "~", None), ("feedback", "+", None)],
        key=str,
    )
