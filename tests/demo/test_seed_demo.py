from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from cases.models import (
    Case,
    CaseEvent,
    CaseLink,
    CaseType,
    Category,
    OrganisationalUnit,
    SharedItem,
)
from cases.selectors import case_content

# Each test seeds the whole demo (hundreds of cases through the services).
pytestmark = pytest.mark.slow


def _seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, scale=0.1, **options)
    return out.getvalue()


def _snapshot():
    return (
        CaseType.objects.count(),
        Category.objects.count(),
        OrganisationalUnit.objects.count(),
        User.objects.count(),
        Group.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
    )


@pytest.mark.django_db
def test_demo_data_covers_every_case_type_and_role_and_varied_states():
    output = _seed()
    assert set(CaseType.objects.values_list("workflow", flat=True)) == {
        "whistleblowing",
        "bullying",
        "trend_only",
    }
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Triage lead",
        "Handler",
        "External investigator",
        "Governance lead",
        "Administrator",
    }
    # Every case type has a triage team with the demo triage lead in it.
    assert all(
        ct.triage_team and ct.triage_team.user_set.filter(username="triage").exists()
        for ct in CaseType.objects.all()
    )
    assert User.objects.filter(is_superuser=True).count() == 0
    states = Counter(Case.objects.values_list("state", flat=True))
    assert len(states) >= 5
    assert Case.objects.count() == 32
    assert "handler" in output and "speak-up-demo-2026" in output
    # Two pairs of the handler's cases are linked, both sides of each (decision 0033).
    assert CaseLink.objects.count() == 4
    assert CaseLink.objects.filter(linked_by__username="handler").count() == 4
    # Demo cases are real cases: encrypted, readable with their key.
    assert case_content(Case.objects.earliest("received_on")).answers["what_happened"]


@pytest.mark.django_db
def test_the_demo_handler_has_cases_and_the_governance_lead_has_none():
    from permissions.access import case_queryset_for_user

    _seed()
    assert case_queryset_for_user(User.objects.get(username="handler")).exists()
    assert not case_queryset_for_user(User.objects.get(username="governance")).exists()
    assert not case_queryset_for_user(User.objects.get(username="admin")).exists()
    # The demo investigator sees what the handler shared with them (decision 0024).
    investigator = User.objects.get(username="investigator")
    theirs = case_queryset_for_user(investigator)
    shared = SharedItem.objects.filter(case__in=theirs)
    assert shared.exists()
    # and reads the version of each report prepared for them, on every case they have.
    assert theirs.exists() and not theirs.filter(redacted_answers__isnull=True).exists()


@pytest.mark.django_db
def test_demo_totp_prints_a_code_that_signs_in(client):
    from demo.management.commands.seed_demo import DEMO_PASSWORD

    _seed()
    step = client.post("/accounts/login/", {"login": "handler", "password": DEMO_PASSWORD})
    out = StringIO()
    call_command("demo_totp", stdout=out)
    done = client.post(step["Location"], {"code": out.getvalue().split()[0]})
    assert done.status_code == 302
    assert client.get("/staff/cases/").status_code == 200


@pytest.mark.django_db
def test_running_it_again_changes_nothing():
    _seed()
    before = _snapshot()
    assert "0 cases added" in _seed()
    assert _snapshot() == before


@pytest.mark.django_db
def test_it_refuses_to_run_outside_development(settings):
    settings.DEV = False
    with pytest.raises(CommandError, match="development"):
        _seed()
    assert Case.objects.count() == 0
