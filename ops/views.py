"""Health check: is the database reachable, does the cache answer, when did the scheduler
last run, and did the latest check of the audit chains find them whole. Answers 503 when the
database or the cache is down."""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.audit import audit_status
from ops.cache import cache_ping
from ops.models import Heartbeat


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    try:
        beat = Heartbeat.objects.filter(name="beat").first()
        database = "ok"
    except DatabaseError:
        beat, database = None, "down"
    cache = "ok" if cache_ping() else "down"
    return JsonResponse(
        {
            "database": database,
            "cache": cache,
            "last_heartbeat": beat.last_run_at.isoformat() if beat else None,
            "audit": audit_status() if database == "ok" else None,
        },
        status=200 if database == cache == "ok" else 503,
    )
