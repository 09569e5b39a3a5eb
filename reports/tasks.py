"""Scheduled report packs: thin and idempotent (one stored pack per period)."""

from __future__ import annotations

from celery import shared_task

from reports.services import report_pack_generate


@shared_task(name="reports.tasks.generate_report_pack", time_limit=600, ignore_result=True)
def generate_report_pack(grain: str = "quarter") -> int:
    """Store the pack for the latest whole quarter (or month); harmless to run twice."""
    return report_pack_generate(grain=grain).pk
