"""Stored report packs, and the equality monitoring tallies that can never meet a case.

``ReportPack`` holds a period's report as made by the scheduled task, for governance leads
to download. ``MonitoringTally`` is how optional equality monitoring answers are kept: a
count per month, question and answer, and nothing else. There is no row per report, so no
row, id, order or time can ever be matched to a case: every tally of a month is created at
once, in a fixed order, before the first answer of the month is counted, and an answer only
adds one to a count (decision 0022).
"""

from __future__ import annotations

from django.db import models


class ReportPack(models.Model):
    """A period's report in each format, produced by ``reports.tasks.generate_report_pack``."""

    grain = models.CharField(max_length=8)  # month, quarter or year
    period_start = models.DateField()
    produced_on = models.DateField()
    pdf = models.BinaryField(null=True)  # None where WeasyPrint's libraries are missing
    xlsx = models.BinaryField()
    csv = models.BinaryField()

    class Meta:
        ordering = ("-period_start", "grain")
        constraints = [
            models.UniqueConstraint(fields=("grain", "period_start"), name="one_pack_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.grain} pack from {self.period_start}"


class MonitoringQuestion(models.Model):
    """An optional equality monitoring question asked on the report form, set by the
    organisation. ``answers`` is a list of ``[slug, label]``; "Prefer not to say" is always
    offered first and is the default."""

    slug = models.SlugField(unique=True)
    text = models.CharField(max_length=200)
    hint = models.CharField(max_length=300, blank=True)
    answers = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "slug")

    def __str__(self) -> str:
        return self.text


PREFER_NOT_TO_SAY = "prefer_not_to_say"


class MonitoringTally(models.Model):
    """How many reports in ``month`` gave ``answer`` to ``question``. Deliberately without a
    case, a time, a user or anything per report (a test lists the columns)."""

    month = models.DateField()  # the first day of the month
    question = models.SlugField()
    answer = models.SlugField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("month", "question", "answer"), name="one_tally_per_answer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question}={self.answer} in {self.month:%Y-%m}"
