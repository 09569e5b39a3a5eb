"""The case list's counts beside each filter value, and its filter by a named person (issue 15,
section 1): every count is of cases the gate lets the viewer see, the other filters as they
are; the people offered are only those who hold a case the viewer sees; a person the viewer may
not name is ignored. Two grouped queries give every count and the list's own, whatever the
filters."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Category, OrganisationalUnit
from permissions.models import ExclusionKind
from permissions.services import case_assign, case_assign_team, exclusion_add
from tests.builders import make_case, make_case_type
from workflows.selectors import CaseFilters, case_counts_for_user
from workflows.services import case_transition

pytestmark = pytest.mark.django_db

LONG_AGO = dt.date(2025, 1, 15)  # every deadline of a case received then is past


@pytest.fixture
def world(cast, django_user_model):
    """Besides the cast's case ("cast": new, held by the handler, the investigator and the
    team, its acknowledgement due within a week):

    - "mine": acknowledged, in Finance, held by the handler, needing attention;
    - "teams": new, held by the team only;
    - "nobody": new, received long ago (overdue), category Fraud, held by nobody;
    - "team_hidden": new, held by the team, the team handler excluded from it;
    - "hidden": another case type (another triage team), new, in Finance, category Fraud,
      overdue, needing attention, held by the other handler: nobody below can see it, and it
      would match every filter they try.
    """
    lead = cast.triage_lead
    finance = OrganisationalUnit.objects.create(slug="finance", name="Finance")
    fraud = Category.objects.create(case_type=cast.case_type, slug="fraud", name="Fraud")
    mine = make_case(case_type=cast.case_type, org_unit=finance)
    case_assign(case=mine, assignee=cast.assigned_handler, actor=lead)
    case_transition(case=mine, name="acknowledge", actor=cast.assigned_handler)
    mine.refresh_from_db()
    mine.attention_since = timezone.localdate()
    mine.save(update_fields=["attention_since"])
    teams = make_case(case_type=cast.case_type)
    case_assign_team(case=teams, team=cast.team, actor=lead)
    nobody = make_case(case_type=cast.case_type, received_on=LONG_AGO, category=fraud)
    team_hidden = make_case(case_type=cast.case_type)
    case_assign_team(case=team_hidden, team=cast.team, actor=lead)
    exclusion_add(case=team_hidden, user=cast.team_handler, kind=ExclusionKind.SUBJECT, actor=lead)
    other_type = make_case_type(
        name="Grievances", slug="grievances", triage_team=Group.objects.create(name="HR triage")
    )
    hidden_fraud = Category.objects.create(case_type=other_type, slug="fraud", name="Fraud")
    hidden = make_case(
        case_type=other_type, org_unit=finance, received_on=LONG_AGO, category=hidden_fraud
    )
    other_lead = django_user_model.objects.create_user(username="hr-lead")
    other_lead.groups.add(other_type.triage_team, Group.objects.get(name="Triage lead"))
    case_assign(case=hidden, assignee=cast.unassigned_handler, actor=other_lead)
    hidden.attention_since = timezone.localdate()
    hidden.save(update_fields=["attention_since"])
    return {
        "cast": cast.case,
        "mine": mine,
        "teams": teams,
        "nobody": nobody,
        "team_hidden": team_hidden,
        "hidden": hidden,
    }


def _counts(cast, viewer: str, **filters) -> dict[str, object]:
    """The counts ``viewer`` gets, the nonzero ones only, the cast's case type named "type"
    and people by their place in the cast."""
    counts = case_counts_for_user(getattr(cast, viewer), CaseFilters(**filters))
    people = {str(getattr(cast, who).pk): who for who in CAST_NAMES}

    def name(facet: str, value: str) -> str:
        if facet == "type" and value == cast.case_type.slug:
            return "type"
        return people.get(value, value) if facet == "assignee" else value

    shown = {
        facet: {name(facet, value): n for value, n in values.items() if n}
        for facet, values in counts.by_facet.items()
    }
    return {"total": counts.total, **{facet: got for facet, got in shown.items() if got}}


CAST_NAMES = ("assigned_handler", "external_investigator", "unassigned_handler", "team_handler")


# Written out by hand from the fixture. The triage lead sees the new cases of the cast's type
# (cast, teams, nobody, team_hidden); the handler the two they hold (cast, mine); the team
# handler the team's cases but the one they are excluded from (cast, teams). Nobody sees
# "hidden". People are named by their place in the cast.
EXPECTED: list[tuple[str, dict[str, Any], dict[str, object]]] = [
    (
        "triage_lead",
        {},
        {
            "total": 4,
            "type": {"type": 4},
            "stage": {"received": 4},
            "new": {"1": 4},
            "category": {"fraud": 1},
            "assignee": {"none": 1, "assigned_handler": 1, "external_investigator": 1},
            "deadline": {"overdue": 1, "due": 3},
        },
    ),
    (
        "triage_lead",
        {"assignee": "none"},
        {
            "total": 1,
            "type": {"type": 1},
            "stage": {"received": 1},
            "new": {"1": 1},
            "category": {"fraud": 1},
            # Who holds them is counted as if no one had been chosen.
            "assignee": {"none": 1, "assigned_handler": 1, "external_investigator": 1},
            "deadline": {"overdue": 1},
        },
    ),
    (
        "triage_lead",
        {"deadline": "due", "stage": "received"},
        {
            "total": 3,
            "type": {"type": 3},
            "stage": {"received": 3},
            "new": {"1": 3},
            "assignee": {"assigned_handler": 1, "external_investigator": 1},
            "deadline": {"overdue": 1, "due": 3},
        },
    ),
    (
        "assigned_handler",
        {},
        {
            "total": 2,
            "type": {"type": 2},
            "stage": {"received": 1, "acknowledged": 1},
            "new": {"1": 1},
            "unit": {"finance": 1},
            "assignee": {"me": 2, "assigned_handler": 2, "external_investigator": 1},
            "deadline": {"due": 1},
            "attention": {"1": 1},
        },
    ),
    (
        "assigned_handler",
        {"unit": "finance", "attention": True},
        {
            "total": 1,
            "type": {"type": 1},
            "stage": {"acknowledged": 1},
            "unit": {"finance": 1},
            "assignee": {"me": 1, "assigned_handler": 1},
            "attention": {"1": 1},
        },
    ),
    (
        "assigned_handler",
        {"category": "fraud"},  # only the hidden case and the lead's "nobody" are Fraud
        {"total": 0},
    ),
    (
        "team_handler",
        {},
        {
            "total": 2,
            "type": {"type": 2},
            "stage": {"received": 2},
            "new": {"1": 2},
            "assignee": {"assigned_handler": 1, "external_investigator": 1},
            "deadline": {"due": 2},
        },
    ),
    (
        "unassigned_handler",  # sees only "hidden"
        {"unit": "finance"},
        {
            "total": 1,
            "type": {"grievances": 1},
            "stage": {"received": 1},
            "new": {"1": 1},
            "category": {"fraud": 1},
            "unit": {"finance": 1},
            "assignee": {"me": 1, "unassigned_handler": 1},
            "deadline": {"overdue": 1},
            "attention": {"1": 1},
        },
    ),
    ("governance_lead", {}, {"total": 0}),
]


def test_each_count_is_of_what_the_gate_lets_the_viewer_see(cast, world):
    for viewer, filters, expected in EXPECTED:
        assert _counts(cast, viewer, **filters) == expected, (viewer, filters)


@pytest.mark.slow  # forty lists and their counts, compared
def test_the_count_is_the_lists_own_with_every_filter(cast, world, sign_in, client):
    """The list's count comes from the grouped query; the page's rows from the list's own
    query: with every filter and combination tried, the two agree."""
    from workflows.selectors import case_list_for_user

    tries: list[dict[str, Any]] = [
        {},
        {"new": True},
        {"assignee": "me"},
        {"assignee": "none", "deadline": "overdue"},
        {"assignee": str(cast.assigned_handler.pk)},
        {"deadline": "due", "stage": "received"},
        {"unit": "finance", "attention": True},
        {"category": "fraud", "case_type": cast.case_type.slug},
        {"query": world["nobody"].reference[:4]},
        {"received_from": LONG_AGO, "received_to": LONG_AGO},
    ]
    for viewer in ("triage_lead", "assigned_handler", "team_handler", "unassigned_handler"):
        user = getattr(cast, viewer)
        for asked in tries:
            filters = CaseFilters(**asked)
            listed = case_list_for_user(user, filters).count()
            assert case_counts_for_user(user, filters).total == listed, (viewer, asked)


def _options(page: str, select: str) -> list[str]:
    body = re.search(rf'<select[^>]*id="{select}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [html.unescape(label) for label in re.findall(r"<option[^>]*>(.*?)</option>", body)]


def _selected(page: str, select: str) -> list[str]:
    body = re.search(rf'<select[^>]*id="{select}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', body)


def test_the_page_shows_each_values_count(cast, world, sign_in, client):
    cast.assigned_handler.first_name, cast.assigned_handler.last_name = "Ann", "Smith"
    cast.assigned_handler.save()
    sign_in(cast.triage_lead)
    page = client.get("/staff/cases/?assignee=none").content.decode()
    assert "1 case" in page
    assert _options(page, "type") == ["All", f"{cast.case_type.name} (1)", "Grievances (0)"]
    assert _options(page, "assignee") == [
        "Anyone",
        "Me (0)",
        "Nobody yet (1)",
        "Ann Smith (handler) (1)",
        "investigator (external investigator) (1)",
    ]
    assert _selected(page, "assignee") == ["none"]
    assert _options(page, "deadline") == ["Any", "Due within a week (0)", "Overdue (1)"]
    assert _options(page, "unit") == ["All", "Finance (0)"]  # "hidden" is in Finance
    assert "New cases only (1)" in page
    assert "Needs attention (reporter's check-in) (0)" in page


def test_the_people_offered_hold_a_case_the_viewer_sees(cast, world, sign_in, client):
    """Never every member of staff: the other handler holds only the hidden case, the triage
    leads and the team handler hold none personally; the handler does not offer themself
    (they are "Me")."""
    sign_in(cast.assigned_handler)
    page = client.get("/staff/cases/").content.decode()
    assert _options(page, "assignee") == [
        "Anyone",
        "Me (2)",
        "Nobody yet (0)",
        "investigator (external investigator) (1)",
    ]
    assert "other-handler" not in page
    sign_in(cast.unassigned_handler)
    page = client.get("/staff/cases/").content.decode()
    assert _options(page, "assignee") == ["Anyone", "Me (1)", "Nobody yet (0)"]


def _listed(client, query: str, world) -> list[str]:
    answer = client.get(f"/staff/cases/?{query}")
    assert answer.status_code == 200
    text = answer.content.decode()
    return sorted(name for name, case in world.items() if case.reference in text)


def test_a_named_person_narrows_the_list_to_what_they_hold(cast, world, sign_in, client):
    sign_in(cast.triage_lead)
    handler, investigator = cast.assigned_handler.pk, cast.external_investigator.pk
    assert _listed(client, f"assignee={handler}", world) == ["cast"]
    assert _listed(client, f"assignee={investigator}&deadline=overdue", world) == []
    page = client.get(f"/staff/cases/?assignee={handler}").content.decode()
    assert _selected(page, "assignee") == [str(handler)] and "1 case" in page
    sign_in(cast.assigned_handler)
    assert _listed(client, f"assignee={investigator}", world) == ["cast"]
    # Naming oneself is "me".
    page = client.get(f"/staff/cases/?assignee={handler}").content.decode()
    assert _selected(page, "assignee") == ["me"] and "2 cases" in page


@pytest.mark.parametrize(
    "who",
    [
        "unassigned_handler",  # holds only the case the viewer cannot see
        "team_handler",  # holds cases through the team only, none personally
        "administrator",  # holds nothing
        "nobody",  # no such person
    ],
)
def test_a_person_the_viewer_may_not_name_is_ignored(cast, world, sign_in, client, who):
    forged = 987654 if who == "nobody" else getattr(cast, who).pk
    sign_in(cast.triage_lead)
    everything = _listed(client, "", world)
    assert everything == ["cast", "nobody", "team_hidden", "teams"]
    assert _listed(client, f"assignee={forged}", world) == everything
    page = client.get(f"/staff/cases/?assignee={forged}").content.decode()
    assert "4 cases" in page and _selected(page, "assignee") == []
    body = b"".join(client.get(f"/staff/cases/export.csv?assignee={forged}").streaming_content)
    assert sorted(n for n, c in world.items() if c.reference in body.decode()) == everything


def test_a_former_colleague_is_not_offered_and_is_ignored(cast, world, sign_in, client):
    """Someone whose account is switched off still has their grant, but is neither offered
    nor a filter (the case page does not name them either)."""
    investigator = cast.external_investigator
    investigator.is_active = False
    investigator.save(update_fields=["is_active"])
    sign_in(cast.triage_lead)
    page = client.get(f"/staff/cases/?assignee={investigator.pk}").content.decode()
    assert "investigator (external investigator)" not in page
    assert "4 cases" in page and _selected(page, "assignee") == []


def test_the_export_takes_a_named_person(cast, world, sign_in, client):
    sign_in(cast.triage_lead)
    body = b"".join(
        client.get(f"/staff/cases/export.csv?assignee={cast.assigned_handler.pk}").streaming_content
    ).decode()
    assert [n for n, c in world.items() if c.reference in body] == ["cast"]


def _cost(client, query: str) -> tuple[int, int]:
    """All the page's queries, and those that read the cases."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/staff/cases/?{query}").status_code == 200
    reading = [q["sql"] for q in captured if '"cases_case"' in q["sql"]]
    return len(captured), len(reading)


# Over the slow-test guard's budget on a busy machine (1.0 to 1.3 s of CPU): every page or
# case of the matrix in one test, so it waits for pass 2 (PostgreSQL).
@pytest.mark.slow
def test_the_list_reads_the_cases_four_times_whatever_the_filters(cast, world, sign_in, client):
    """The people "held by" offers, the grouped counts (with the list's count) and how many
    each person holds, and the page."""
    sign_in(cast.triage_lead)
    plain = _cost(client, "")
    assert plain[1] == 4
    person = cast.assigned_handler.pk
    everything = (
        f"q=A&type={cast.case_type.slug}&stage=received&category=fraud&unit=finance"
        f"&assignee={person}&from=2020-01-01&to=2030-01-01&deadline=overdue&attention=1&new=1"
        "&sort=deadline"
    )
    # A page without rows asks one query less (no rows to read): the same with every filter.
    assert _cost(client, everything) == _cost(client, "q=ZZZZZZZZZ") == (plain[0] - 1, 3)
    assert _cost(client, f"assignee={person}") == plain
    assert _cost(client, "assignee=987654") == plain
    for _ in range(3):
        extra = make_case(case_type=cast.case_type)
        until = timezone.localdate() + dt.timedelta(days=9)
        case_assign(
            case=extra,
            assignee=cast.external_investigator,
            actor=cast.triage_lead,
            expires_on=until,
        )
    assert _cost(client, "") == plain
