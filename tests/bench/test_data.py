"""The benchmark data: bulk rows that the application reads as cases."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bench import data
from bench.items import Context
from bench.items.b1_case_list import measure
from cases.models import Case
from permissions.models import CaseUserPermission
from tests.builders import make_case_type
from workflows.models import Clock
from workflows.selectors import CaseFilters, case_list_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def configuration():
    """Three case types, one per workflow, and a handler: what the generator spreads cases
    over (``data.configuration`` seeds the demonstration data only when there is none)."""
    make_case_type(slug="whistleblowing", workflow="whistleblowing")
    make_case_type(slug="bullying", workflow="bullying", acknowledge_within_days=5)
    make_case_type(slug="trends", workflow="trend_only", acknowledge_within_days=None)
    user = get_user_model().objects.create(username="handler")
    user.groups.add(Group.objects.get_or_create(name="Handler")[0])


def test_skeleton_cases_are_cases_the_gate_lists():
    handler = get_user_model().objects.get(username="handler")
    old = set(Case.objects.values_list("pk", flat=True))
    before_grants = CaseUserPermission.objects.filter(user=handler).count()
    made = data.skeleton_cases(12, handler_share=5)
    new = Case.objects.exclude(pk__in=old)
    # Round-robin over the three demo case types: four of each. Whistleblowing and bullying
    # cases start with an acknowledgement clock; trend-only reports have none.
    assert (made.cases, made.clocks, made.grants) == (12, 8, 5)
    assert new.count() == 12
    assert sorted(new.values_list("case_type__slug", flat=True).distinct()) == sorted(
        ["bullying", "trends", "whistleblowing"]
    )
    assert Clock.objects.filter(case__in=new).count() == 8
    listed = case_list_for_user(handler, CaseFilters.from_params({})).count()
    assert listed >= before_grants + 5


@pytest.mark.slow
def test_b1_measures_both_sides_on_the_same_cases():
    made = data.skeleton_cases(20, handler_share=10)
    handler = get_user_model().objects.get(username="handler")
    context = Context(
        scale=Case.objects.count(),
        vendor="sqlite",
        handler_id=handler.pk,
        handler_cases=CaseUserPermission.objects.filter(user=handler).count(),
    )
    m = measure(context, 7)  # 7 rounds of both sides' reads: over the fast pass's budget
    assert made.grants == 10
    assert len(m.ratios) == 7
    # The raw side as the list page reads (B1 times the page's reads since the counts):
    # the people who hold cases, the grouped counts, each person's count, the page.
    assert m.b_queries == 4
    # The list page: which of the handler's teams apply, the people who hold its cases, the
    # grouped counts, each person's count, the page (its count is the counts' total).
    assert m.a_queries == 5
    # The second shape: a handler granted every tenth case, made for the item and gone after.
    # And the tenth's list sorted by deadline (the case's next due day, decision 0028).
    assert set(m.extra) == {"tenth", "deadline"}
    assert "a tenth of the cases (2)" in m.extra["tenth"][1]
    assert not CaseUserPermission.objects.filter(user__username="bench-handler-tenth").exists()


def test_skeleton_cases_open_through_the_real_case_page():
    """Each generated case has its own key, sealed answers and a first audit link: the handler
    it is granted to opens it, the answers decrypt, and every chain verifies. One case of each
    of the three case types (the generator deals them round-robin): six pages were over the
    slow-test guard's budget on a busy machine."""
    from bench.data import staff_client
    from cases.audit import audit_verify
    from cases.models import CaseEvent, DataKey

    handler = get_user_model().objects.get(username="handler")
    data.skeleton_cases(3, handler_share=3)
    cases = list(Case.objects.order_by("reference"))
    assert DataKey.objects.filter(case__in=cases).count() == 3
    assert CaseEvent.objects.filter(case__in=cases, code="case.created", seq=1).count() == 3
    signed_in = staff_client(handler)
    opened = 0
    for case in cases:
        page = signed_in.get(f"/staff/cases/{case.pk}/")
        assert page.status_code == 200, case.reference
        assert "Generated report" in page.content.decode()
        opened += 1
    assert len({c.token_digest for c in cases}) == 3
    report = audit_verify()
    assert report.problems == []
    assert opened == 3
