"""What sending a report costs the database, counted by hand (docs/performance.md, B3): the
report form's "Send" through the real view and middleware. A regression (the branding read
twice, the clocks read back, a deadline looked for before it is started, a new chain's head
looked for) changes the number here. The same on SQLite and PostgreSQL."""

import pytest

from cases.models import Case, CaseEvent
from tests.intake.conftest import SEND, answers
from workflows.models import Clock

pytestmark = pytest.mark.django_db


def test_sending_a_report_costs_fifteen_queries(client, whistleblowing, django_assert_num_queries):
    data = answers(whistleblowing)  # (reads the category and unit it names)
    client.get("/report/whistleblowing/")  # the questions page keeps the configuration
    # The case type, its categories, the units, the monitoring questions, the branding and
    # the support resources come from the kept configuration (intake/configuration.py).
    # SAVEPOINT; the submission key in a savepoint of its own (SAVEPOINT, INSERT, RELEASE);
    # SAVEPOINT (a reference may collide); INSERT the case, its history, its data key, its
    # chain's head at the first link and the case.created event; RELEASE; INSERT the
    # acknowledgement clock and its history; the news of it for the triage team's next round
    # (notifications.models.StaffNews); RELEASE.
    with django_assert_num_queries(15):
        answer = client.post(SEND, data)
    assert answer.status_code == 200
    case = Case.objects.get()
    assert list(CaseEvent.objects.filter(case=case).values_list("seq", "code")) == [
        (1, "case.created")
    ]
    assert list(Clock.objects.filter(case=case).values_list("kind", flat=True)) == ["acknowledge"]
    assert "We will acknowledge your report by" in answer.content.decode()


def test_the_first_report_after_a_change_reads_the_configuration_in_seven_queries(
    client, whistleblowing, django_assert_num_queries
):
    data = answers(whistleblowing)
    # Nothing kept yet: the open case types, the active categories, the units, the
    # monitoring questions, the support resources (none, so no second read for their
    # categories), the branding and the campaigns; then the fifteen above.
    with django_assert_num_queries(7 + 15):
        assert client.post(SEND, data).status_code == 200
