"""Equality monitoring, unlinked: the questions an organisation asks, and their tallies.

An answer is never stored against anything: ``monitoring_count`` adds one to the tally of
its month, question and answer, in its own transaction after the report's has committed.
The month's tallies are all created together, in a fixed order, the first time the month is
counted, so neither row ids nor row order say which answer came when. What remains is the
database's own bookkeeping (PostgreSQL's transaction id on a row's latest version), which only
someone reading system columns with direct database access could compare with a case's
(decision 0022).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from reports.disclosure import Published, Rule, Table, publish, rule
from reports.models import PREFER_NOT_TO_SAY, MonitoringQuestion, MonitoringTally

PREFER_NOT_TO_SAY_LABEL = "Prefer not to say"


@dataclass(frozen=True)
class Asked:
    """A question the report form asks, as the form and the counts read it."""

    slug: str
    text: str
    hint: str
    choices: list[tuple[str, str]]  # (answer's slug, label), "Prefer not to say" first
    text_cy: str = ""
    hint_cy: str = ""
    answers_cy: dict[str, str] = field(default_factory=dict)  # a Welsh label by answer


def monitoring_questions() -> list[Asked]:
    """The active questions, in their order, each with "Prefer not to say" first."""
    found = []
    for q in MonitoringQuestion.objects.filter(is_active=True):
        answers = [(str(a[0]), str(a[1])) for a in q.answers if a and a[0] != PREFER_NOT_TO_SAY]
        welsh = q.answers_cy if isinstance(q.answers_cy, dict) else {}
        found.append(
            Asked(
                slug=q.slug,
                text=q.text,
                hint=q.hint,
                choices=[(PREFER_NOT_TO_SAY, PREFER_NOT_TO_SAY_LABEL), *answers],
                text_cy=q.text_cy,
                hint_cy=q.hint_cy,
                answers_cy={str(k): str(v) for k, v in welsh.items()},
            )
        )
    return found


def _month_tallies(month: dt.date) -> None:
    """Every tally of the month, created at once in a fixed order (question, answer)."""
    if MonitoringTally.objects.filter(month=month).exists():
        return
    rows = [
        MonitoringTally(month=month, question=asked.slug, answer=answer)
        for asked in sorted(monitoring_questions(), key=lambda asked: asked.slug)
        for answer, _ in sorted(asked.choices)
    ]
    try:
        with transaction.atomic():
            MonitoringTally.objects.bulk_create(rows, ignore_conflicts=True)
    except IntegrityError:  # another report made them at the same moment
        pass


def monitoring_count(*, answers: Mapping[str, str], on: dt.date) -> None:
    """Count one report's monitoring answers for its month. Call it after the report has
    committed, outside its transaction; an unknown question or answer is counted as
    "prefer not to say", and nothing is stored that names the report."""
    month = on.replace(day=1)
    known = {asked.slug: {a for a, _ in asked.choices} for asked in monitoring_questions()}
    _month_tallies(month)
    with transaction.atomic():
        for slug in sorted(known):
            answer = answers.get(slug, PREFER_NOT_TO_SAY)
            if answer not in known[slug]:
                answer = PREFER_NOT_TO_SAY
            updated = MonitoringTally.objects.filter(
                month=month, question=slug, answer=answer
            ).update(count=F("count") + 1)
            if not updated:  # a question or answer added during the month
                MonitoringTally.objects.get_or_create(month=month, question=slug, answer=answer)
                MonitoringTally.objects.filter(month=month, question=slug, answer=answer).update(
                    count=F("count") + 1
                )


def monitoring_tables(
    start: dt.date, end: dt.date, the_rule: Rule | None = None
) -> list[Published]:
    """One published table per question: reports in the period by answer, with the same
    disclosure control as every other report table. One query."""
    the_rule = the_rule or rule()
    from django.db.models import Sum

    sums: dict[tuple[str, str], int] = {
        (row["question"], row["answer"]): row["n"] or 0
        for row in MonitoringTally.objects.filter(month__gte=start, month__lt=end)
        .values("question", "answer")
        .annotate(n=Sum("count"))
    }
    tables = []
    for asked in monitoring_questions():
        labels: dict[str, Any] = dict(asked.choices)
        tables.append(
            publish(
                Table(
                    f"Equality monitoring: {asked.text}",
                    [labels[a] for a, _ in asked.choices],
                    ["Reports"],
                    [[sums.get((asked.slug, a), 0)] for a, _ in asked.choices],
                ),
                the_rule,
            )
        )
    return tables
