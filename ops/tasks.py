"""Thin Celery tasks for operations: take ids or names, call one service."""

from __future__ import annotations

from celery import shared_task

from ops.services import heartbeat_record


@shared_task(name="ops.tasks.record_heartbeat", time_limit=30, ignore_result=True)
def record_heartbeat(name: str = "beat") -> None:
    heartbeat_record(name=name)
