"""The cast built once for consecutive tests (tests/shared_cast.py): each test still sees it
exactly as built, whatever the test before it changed in the database or in memory.

The rounds below each check the cast as built, then change it as a careless test would. In one
process (pass 2) they run one after another on the same shared cast, so a change that leaked
would fail the next round; under pytest-xdist they usually go to one worker together."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from cases.models import Case
from permissions.access import case_for_user
from tests import shared_cast
from tests.builders import make_case
from workflows.services import case_transition

# Everyone in the cast, written out by hand (tests/conftest.py's CAST_PEOPLE).
USERNAMES = {
    "triage",
    "handler",
    "other-handler",
    "investigator",
    "other-investigator",
    "governance",
    "admin",
    "root",
    "conflicted",
    "team-member",
    "other-triage",
}


def _as_built(cast) -> None:
    handler = cast.assigned_handler
    assert (handler.first_name, handler.is_active) == ("", True)
    assert cast.case.state == "received"
    assert cast.case_type.name.startswith("Case type ")
    assert list(Case.objects.values_list("pk", "state")) == [(cast.case.pk, "received")]
    assert set(get_user_model().objects.values_list("username", flat=True)) == USERNAMES
    assert get_user_model().objects.get(pk=handler.pk).first_name == ""
    assert case_for_user(handler, cast.case.pk) == cast.case


@pytest.mark.parametrize("round_", range(4))
def test_each_test_sees_the_cast_as_built_whatever_the_last_one_changed(cast, round_):
    _as_built(cast)
    # Changes to the rows, in memory only, and new rows, as a test might leave them.
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    cast.case_type.name = "Renamed in memory"
    cast.assigned_handler.first_name = "Changed"
    cast.assigned_handler.save(update_fields=["first_name"])
    cast.assigned_handler.is_active = False  # in memory only
    make_case(case_type=cast.case_type)
    get_user_model().objects.create_user(username=f"newcomer-{round_}")


@pytest.mark.django_db(transaction=True)
def test_a_test_that_commits_builds_its_own_cast(cast):
    # No transaction can hold a shared cast around a test that commits: it gets its own.
    assert not connection.in_atomic_block
    assert shared_cast.current() is None
    _as_built(cast)
