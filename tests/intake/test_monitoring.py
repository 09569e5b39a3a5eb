"""Equality monitoring on the report form: optional, "prefer not to say" by default, and
counted in tallies that carry nothing that could join them back to a report."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from cases.models import Case
from reports.disclosure import Rule
from reports.models import MonitoringQuestion, MonitoringTally
from reports.monitoring import monitoring_count, monitoring_tables
from tests.intake.conftest import SEND, answers


def _question():
    return MonitoringQuestion.objects.create(
        slug="age",
        text="How old are you?",
        answers=[["under_30", "Under 30"], ["30_plus", "30 or over"]],
    )


def _tallies():
    return {
        (t.month, t.question, t.answer): t.count
        for t in MonitoringTally.objects.filter(count__gt=0)
    }


def test_the_tally_has_no_column_that_could_join_it_to_a_case():
    columns = {f.name: type(f) for f in MonitoringTally._meta.get_fields()}
    assert columns == {
        "id": models.BigAutoField,
        "month": models.DateField,
        "question": models.SlugField,
        "answer": models.SlugField,
        "count": models.PositiveIntegerField,
    }
    assert not any(f.is_relation for f in MonitoringTally._meta.get_fields())
    assert not [f for f in Case._meta.get_fields() if f.related_model is MonitoringTally]


def test_the_form_asks_with_prefer_not_to_say_first_and_counts_apart(whistleblowing, client):
    _question()
    page = client.get("/report/whistleblowing/").content.decode()
    assert "How old are you?" in page
    assert 'value="prefer_not_to_say" checked' in page
    sent = client.post(SEND, answers(whistleblowing, monitoring_age="under_30"))
    assert sent.status_code == 200
    month = timezone.localdate().replace(day=1)
    assert _tallies() == {(month, "age", "under_30"): 1}
    # The month's every tally was made at once, in a fixed order, before the first count.
    made = list(MonitoringTally.objects.order_by("id").values_list("question", "answer"))
    assert made == [("age", "30_plus"), ("age", "prefer_not_to_say"), ("age", "under_30")]
    # The answer is not in the case's sealed answers either.
    from cases.selectors import case_content

    assert "under_30" not in str(case_content(Case.objects.get()))


def test_no_answer_counts_as_prefer_not_to_say_and_a_forged_one_is_a_form_error(
    whistleblowing, client
):
    _question()
    client.post(SEND, answers(whistleblowing, submission_key="a" * 32))
    forged = client.post(SEND, answers(whistleblowing, submission_key="b" * 32, monitoring_age="x"))
    assert forged.status_code == 400
    assert "Select a valid choice" in forged.content.decode()
    month = timezone.localdate().replace(day=1)
    assert Case.objects.count() == 1
    assert _tallies() == {(month, "age", "prefer_not_to_say"): 1}
    # Counted directly, an unknown answer is "prefer not to say" too.
    monitoring_count(answers={"age": "forged"}, on=timezone.localdate())
    assert _tallies() == {(month, "age", "prefer_not_to_say"): 2}


def test_a_form_without_questions_counts_nothing(whistleblowing, client):
    client.post(SEND, answers(whistleblowing))
    assert not MonitoringTally.objects.exists()


def test_monitoring_reports_obey_the_same_suppression(db):
    _question()
    for answer, times in (("under_30", 7), ("30_plus", 2), ("prefer_not_to_say", 12)):
        for _ in range(times):
            monitoring_count(answers={"age": answer}, on=dt.date(2026, 2, 10))
    (table,) = monitoring_tables(dt.date(2026, 1, 1), dt.date(2026, 4, 1), Rule(5))
    assert table.rows == ["Prefer not to say", "Under 30", "30 or over"]
    # 2 is hidden; the total (21) would give it back, so the next smallest (7) goes too.
    assert table.cells == [[10], [None], [None]]
    assert table.total == 20
