"""The case list's filters by unit, holder and day received, and its saved views (issue 15,
section 1): each narrows what the gate allows, in SQL, and a page costs the same queries
whatever the filters."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import OrganisationalUnit
from permissions.services import case_assign, case_assign_team
from tests.builders import make_case
from workflows.selectors import CaseFilters

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"unit": "finance"}, CaseFilters(unit="finance")),
        ({"unit": "u" * 80}, CaseFilters(unit="u" * 50)),
        ({"assignee": "me"}, CaseFilters(assignee="me")),
        ({"assignee": "none"}, CaseFilters(assignee="none")),
        ({"assignee": "42"}, CaseFilters(assignee="42")),  # a person, checked against the gate
        ({"assignee": "042"}, CaseFilters()),  # not an id as the page writes one
        ({"assignee": "4" * 13}, CaseFilters()),
        ({"assignee": "-1"}, CaseFilters()),
        ({"assignee": "1 OR 1=1"}, CaseFilters()),
        (
            {"from": "2026-01-31", "to": " 2026-02-28 "},
            CaseFilters(received_from=dt.date(2026, 1, 31), received_to=dt.date(2026, 2, 28)),
        ),
        ({"from": "31/01/2026", "to": "2026-02-30"}, CaseFilters()),  # malformed: ignored
        ({"from": "", "to": "'; drop table"}, CaseFilters()),
    ],
)
def test_the_new_filters_keep_only_what_a_real_value_can_be(params, expected):
    assert CaseFilters.from_params(params) == expected


@pytest.fixture
def spread(cast):
    """Four more cases of the cast's type: one held by the handler in Finance, one by the
    team only, one by nobody received long ago, one by nobody received today."""
    finance = OrganisationalUnit.objects.create(slug="finance", name="Finance")
    lead = cast.triage_lead
    mine = make_case(case_type=cast.case_type, org_unit=finance)
    case_assign(case=mine, assignee=cast.assigned_handler, actor=lead)
    teams = make_case(case_type=cast.case_type)
    case_assign_team(case=teams, team=cast.team, actor=lead)
    old = make_case(case_type=cast.case_type, received_on=dt.date(2025, 1, 15))
    nobody = make_case(case_type=cast.case_type)
    return {"mine": mine, "teams": teams, "old": old, "nobody": nobody, "cast": cast.case}


def _listed(client, query, spread):
    page = client.get(f"/staff/cases/?{query}")
    assert page.status_code == 200
    text = page.content.decode()
    return sorted(name for name, case in spread.items() if case.reference in text)


# What each viewer sees with each filter, written out by hand. The triage lead sees every
# case of the type while it is new; the handler only what they hold (the cast's case and
# "mine"), a team handler what their team holds (the cast's case and "teams").
EXPECTED = [
    ("triage_lead", "", ["cast", "mine", "nobody", "old", "teams"]),
    ("triage_lead", "assignee=none", ["nobody", "old"]),
    ("triage_lead", "assignee=me", []),
    ("triage_lead", "unit=finance", ["mine"]),
    ("triage_lead", "to=2025-12-31", ["old"]),
    ("triage_lead", "from=2025-01-15&to=2025-01-15", ["old"]),
    ("triage_lead", "from=2025-01-16", ["cast", "mine", "nobody", "teams"]),
    ("triage_lead", "new=1&assignee=none&sort=oldest", ["nobody", "old"]),
    ("assigned_handler", "", ["cast", "mine"]),
    ("assigned_handler", "assignee=me", ["cast", "mine"]),
    ("assigned_handler", "assignee=none", []),
    ("assigned_handler", "assignee=me&unit=finance", ["mine"]),
    ("team_handler", "", ["cast", "teams"]),
    ("team_handler", "assignee=me", []),  # a team's case is not the person's own
    ("unassigned_handler", "assignee=none", []),
]


# One test per viewer, each filter a subtest (docs/decisions/0017): fifteen list pages in one
# test came to twice the slow-test guard's half second.
@pytest.mark.parametrize("viewer", sorted({viewer for viewer, _, _ in EXPECTED}))
def test_each_filter_narrows_what_the_gate_allows(cast, spread, sign_in, client, subtests, viewer):
    sign_in(getattr(cast, viewer))
    for query, expected in [
        (query, expected) for who, query, expected in EXPECTED if who == viewer
    ]:
        with subtests.test(query=query):
            assert _listed(client, query, spread) == expected


def test_the_export_takes_the_same_filters(cast, spread, sign_in, client):
    sign_in(cast.triage_lead)
    body = b"".join(client.get("/staff/cases/export.csv?assignee=none").streaming_content)
    text = body.decode()
    assert spread["nobody"].reference in text and spread["old"].reference in text
    assert spread["mine"].reference not in text and spread["cast"].reference not in text


def test_saved_views_are_links_to_the_filters(cast, spread, sign_in, client):
    sign_in(cast.assigned_handler)
    text = client.get("/staff/cases/?assignee=me").content.decode()
    assert 'href="?assignee=me" aria-current="page"' in text
    assert 'href="?assignee=me&amp;deadline=overdue&amp;sort=deadline"' in text
    assert 'href="?new=1&amp;assignee=none&amp;sort=oldest"' in text


def test_a_page_costs_the_same_queries_with_every_filter(cast, spread, sign_in, client):
    sign_in(cast.triage_lead)
    everything = (
        "q=A&type=x&stage=received&category=x&unit=finance&assignee=none&from=2020-01-01"
        "&to=2030-01-01&deadline=overdue&attention=1&new=1&sort=deadline"
    )

    def cost(query):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/staff/cases/?{query}").status_code == 200
        return len(captured)

    # The same with rows on the page, and with none (a page without rows asks less).
    narrowed = f"type={cast.case_type.slug}&unit=finance&from=2020-01-01&to=2030-01-01&new=1"
    assert cost("stage=received") == cost(narrowed + "&sort=deadline")
    assert cost("q=ZZZZZZZZZ") == cost(everything)
