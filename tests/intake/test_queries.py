"""What sending a report costs the database, counted by hand (docs/performance.md, B3): the
report form's "Send" through the real view and middleware. A regression (the branding read
twice, the clocks read back, a deadline looked for before it is started, a new chain's head
looked for) changes the number here. The same on SQLite and PostgreSQL."""

import pytest

from cases.models import Case, CaseEvent
from tests.intake.conftest import SEND, answers
from workflows.models import Clock

pytestmark = pytest.mark.django_db


def test_sending_a_report_costs_twenty_queries(client, whistleblowing, django_assert_num_queries):
    data = answers(whistleblowing)  # (reads the category and unit it names)
    # The case type; its categories, the units and the monitoring questions (the form's
    # choices); SAVEPOINT; the submission key in a savepoint of its own (SAVEPOINT, INSERT,
    # RELEASE); SAVEPOINT (a reference may collide); INSERT the case, its history, its data
    # key, its chain's head at the first link and the case.created event; RELEASE; INSERT
    # the acknowledgement clock and its history; the branding; the support resources;
    # RELEASE.
    with django_assert_num_queries(20):
        answer = client.post(SEND, data)
    assert answer.status_code == 200
    case = Case.objects.get()
    assert list(CaseEvent.objects.filter(case=case).values_list("seq", "code")) == [
        (1, "case.created")
    ]
    assert list(Clock.objects.filter(case=case).values_list("kind", flat=True)) == ["acknowledge"]
    assert "We will acknowledge your report by" in answer.content.decode()
