"""Stored report packs, and the equality monitoring tallies that can never meet a case.

``ReportPack`` holds a period's report as made by the scheduled task, for governance leads
to download. ``MonitoringTally`` is how optional equality monitoring answers are kept: a
count per month, question and answer, and nothing else. There is no row per report, so no
row, id, order or time can ever be matched to a case: every tally of a month is created at
once, in a fixed order, before the first answer of the month is counted, and an answer only
adds one to a count (decision 0022).
"""

from __future__ import annotations

import datetime as dt

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
    offered first and is the default. The Welsh words, where given, are shown on Welsh pages
    (``answers_cy``: a Welsh label by answer's slug); what is missing shows in English, marked
    as English (decision 0025)."""

    slug = models.SlugField(unique=True)
    text = models.CharField(max_length=200)
    hint = models.CharField(max_length=300, blank=True)
    answers = models.JSONField(default=list)
    text_cy = models.CharField(max_length=200, blank=True, default="")
    hint_cy = models.CharField(max_length=300, blank=True, default="")
    answers_cy = models.JSONField(default=dict, blank=True)
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


# --- Rollups: the counts the trend reports read (decision 0023) ------------------------------
# Kept exact by database triggers on cases_case and workflows_clock (migration reports 0002),
# never written by the application: on PostgreSQL its role may only read them. Every row is a
# count of cases (or clocks) sharing the values of its key; rows may hold zero. No case id,
# date, reference or content: months only, as the reports show them. Keys have no NULLs so
# that a count has exactly one row: 0 stands for "no category" or "no unit recorded", and
# NEVER for "not closed" or "not reopened".

NEVER = dt.date(9999, 12, 1)


class ReceivedRollup(models.Model):
    """Cases by case type, unit, month received, category and stage (state) now."""

    pk = models.CompositePrimaryKey("case_type_id", "unit_id", "month", "category_id", "state")
    case_type_id = models.IntegerField()
    unit_id = models.IntegerField()  # 0: no unit recorded
    month = models.DateField()  # received, first day of the month
    category_id = models.IntegerField()  # 0: not categorised
    state = models.CharField(max_length=32)
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.n} received in {self.month:%Y-%m}, now {self.state}"


class NamedRollup(models.Model):
    """Cases by case type, unit, month received, and whether the reporter gave a name."""

    pk = models.CompositePrimaryKey("case_type_id", "unit_id", "month", "named")
    case_type_id = models.IntegerField()
    unit_id = models.IntegerField()
    month = models.DateField()
    named = models.BooleanField()
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.n} received in {self.month:%Y-%m}, {'named' if self.named else 'anonymous'}"


class SpanRollup(models.Model):
    """Cases by case type, unit, month received, month closed (NEVER while open), outcome and
    month reopened by the reporter's check-in (NEVER if not): enough for the cases received,
    closed, open at the end of and reopened in any span of whole months."""

    pk = models.CompositePrimaryKey(
        "case_type_id", "unit_id", "received", "closed", "outcome", "reopened"
    )
    case_type_id = models.IntegerField()
    unit_id = models.IntegerField()
    received = models.DateField()
    closed = models.DateField()
    outcome = models.CharField(max_length=32)
    reopened = models.DateField()
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.n} received in {self.received:%Y-%m}, closed {self.closed:%Y-%m}"


class DaysRollup(models.Model):
    """How long things took, as a count per number of days (a histogram, from which medians
    and percentiles are read exactly): ``close``, cases by the month they closed and their
    days from receipt to closure; ``acknowledge``, acknowledgement clocks by the month they
    stopped and the days they ran. By the case's type and unit."""

    pk = models.CompositePrimaryKey("case_type_id", "unit_id", "measure", "month", "days")
    case_type_id = models.IntegerField()
    unit_id = models.IntegerField()
    measure = models.CharField(max_length=16)  # "close" or "acknowledge"
    month = models.DateField()
    days = models.IntegerField()
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.n} took {self.days} days to {self.measure} in {self.month:%Y-%m}"


class ClockRollup(models.Model):
    """Statutory clocks decided (stopped, or recorded as missed while running), by the case's
    type and unit, the month they were due, their kind and whether they were met."""

    pk = models.CompositePrimaryKey("case_type_id", "unit_id", "month", "kind", "met")
    case_type_id = models.IntegerField()
    unit_id = models.IntegerField()
    month = models.DateField()  # due
    kind = models.CharField(max_length=16)
    met = models.BooleanField()
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.n} {self.kind} clocks due in {self.month:%Y-%m}, met: {self.met}"
