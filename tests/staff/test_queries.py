"""Lists filter in SQL: a page is one query and its count one more, whatever the page size."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permissions.access import case_queryset_for_user
from permissions.services import case_assign
from tests.builders import make_case


@pytest.mark.parametrize("cases", [1, 7, pytest.param(30, marks=pytest.mark.slow)])
def test_a_page_of_a_handlers_cases_is_two_queries(cast, cases, django_assert_num_queries):
    for _ in range(cases - 1):
        case = make_case(case_type=cast.case_type)
        case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    queryset = case_queryset_for_user(cast.assigned_handler).select_related("case_type", "category")
    with django_assert_num_queries(2):
        page = Paginator(queryset.order_by("-received_on"), 25).get_page(1)
        rows = [(c.reference, c.case_type.name, c.category) for c in page.object_list]
    assert page.paginator.count == cases
    assert len(rows) == min(cases, 25)


@pytest.mark.slow
def test_the_list_page_costs_the_same_for_few_and_many_cases(cast, sign_in, client):
    sign_in(cast.assigned_handler)

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/cases/").status_code == 200
        return len(captured)

    few = count_queries()
    for _ in range(20):
        case = make_case(case_type=cast.case_type)
        case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    assert count_queries() == few


@pytest.mark.slow
def test_filters_and_sorting_stay_in_sql(cast, sign_in, client):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from workflows.services import case_transition

    old_day = timezone.localdate() - dt.timedelta(days=30)
    noon = dt.datetime.combine(old_day, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(noon, tick=False):
        late = make_case(case_type=cast.case_type)
    case_assign(case=late, assignee=cast.assigned_handler, actor=cast.triage_lead)
    # No page has opened these cases: their deadlines exist from the day they were filed.
    moved = make_case(case_type=cast.case_type)
    case_assign(case=moved, assignee=cast.assigned_handler, actor=cast.triage_lead)
    case_transition(case=moved, name="acknowledge", actor=cast.assigned_handler)
    sign_in(cast.assigned_handler)

    def refs(query):
        page = client.get(f"/staff/cases/?{query}").content.decode()
        return [c.reference for c in (late, cast.case, moved) if c.reference in page]

    assert refs("deadline=overdue") == [late.reference]
    assert refs("stage=acknowledged") == [moved.reference]
    assert set(refs("deadline=due")) == {cast.case.reference}
    page = client.get("/staff/cases/?sort=deadline").content.decode()
    assert page.index(late.reference) < page.index(cast.case.reference)
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/cases/?sort=deadline&deadline=overdue&stage=received&category=x")
    for _ in range(10):
        extra = make_case(case_type=cast.case_type)
        case_assign(case=extra, assignee=cast.assigned_handler, actor=cast.triage_lead)
    with CaptureQueriesContext(connection) as many:
        client.get("/staff/cases/?sort=deadline&deadline=overdue&stage=received&category=x")
    assert len(many) == len(few)


def test_the_list_pages_count_is_the_gates_when_nothing_narrows_it(cast, sign_in, client):
    """Unnarrowed, the list's count comes from the grants (``case_count_for_user``), narrowed
    from the cases; both are the number of cases listed, the excluded one left out."""
    from permissions.models import ExclusionKind
    from permissions.services import exclusion_add

    for _ in range(2):
        case = make_case(case_type=cast.case_type)
        case_assign(case=case, assignee=cast.team_handler, actor=cast.triage_lead)
    exclusion_add(
        case=case, user=cast.team_handler, kind=ExclusionKind.SUBJECT, actor=cast.triage_lead
    )
    sign_in(cast.team_handler)  # the cast's case by a team grant, one case by a user grant
    for query in ("", "?sort=oldest", "?stage=received", "?q=" + cast.case.reference):
        page = client.get(f"/staff/cases/{query}").content.decode()
        assert ("1 case" if "q=" in query else "2 cases") in page, query


def _kinds(captured) -> dict[str, int]:
    """How many of each kind of read a request made, for the kinds the page once repeated."""
    import re

    kinds = {
        "data key": r'FROM "cases_datakey"',
        "roles": r'SELECT "auth_group"."name" AS "name" FROM "auth_group"',
        "gate": r'^SELECT 1 AS "a" FROM "cases_case"',
    }
    return {
        kind: sum(1 for query in captured if re.search(pattern, query["sql"]))
        for kind, pattern in kinds.items()
    }


def test_the_case_page_reads_its_key_the_viewers_roles_and_each_permission_once(
    cast, sign_in, client
):
    """The page's parts each ask whether the viewer may work the case, what roles they have,
    and open its cipher: once each for the page (``cases.page_scope``), where it used to be
    twelve gate queries, nineteen reads of the roles and four of the key."""
    sign_in(cast.assigned_handler)
    url = f"/staff/cases/{cast.case.pk}/"
    client.get(url)  # the session's first request does its own work once
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    # One key read, the roles once, the gate asked once for each permission the page needs:
    # work (steps, notes, deadlines, redaction, links) and the reporter's contact.
    assert _kinds(captured) == {"data key": 1, "roles": 1, "gate": 2}
    # In all: the session, the user and their second factor; the case through the gate and
    # the view's event (its chain's head read and moved); the page's reads; the session saved.
    assert len(captured) == 29


def test_a_page_scope_ends_with_the_page(cast, sign_in, client):
    """Answers kept for one page are not kept for the next: a handler who loses the role
    between two requests loses the redaction form (the role's) on the second, and once
    unassigned is refused the case."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from permissions.services import case_unassign

    sign_in(cast.assigned_handler)
    url = f"/staff/cases/{cast.case.pk}/"
    redaction = f'action="/staff/cases/{cast.case.pk}/redaction/"'
    assert redaction in client.get(url).content.decode()
    # Through another object, as another request would.
    handler = get_user_model().objects.get(pk=cast.assigned_handler.pk)
    handler.groups.remove(Group.objects.get(name="Handler"))
    assert redaction not in client.get(url).content.decode()
    case_unassign(case=cast.case, user=cast.assigned_handler, actor=cast.triage_lead)
    assert client.get(url).status_code == 404


def test_the_list_page_reads_the_viewers_roles_once(cast, sign_in, client):
    """The list and its header ask the viewer's roles once (the header's links asked seven
    times before, one for each link): 17 queries over HTTP in all."""
    sign_in(cast.assigned_handler)
    client.get("/staff/cases/")  # the session's first request does its own work once
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/staff/cases/").status_code == 200
    assert _kinds(captured)["roles"] == 1
    # The session, the user and their second factor; the gate's teams, the people offered,
    # the counts (two), the page; the names of types, categories and units; whether the user
    # may record a case; the notifications' count; the roles; the session saved (three).
    assert len(captured) == 17
