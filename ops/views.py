"""Health check: is the database reachable, when did the scheduler last run, and did the
latest check of the audit chains find them whole."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.audit import audit_status
from ops.models import Heartbeat


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    beat = Heartbeat.objects.filter(name="beat").first()
    return JsonResponse(
        {
            "database": "ok",
            "last_heartbeat": beat.last_run_at.isoformat() if beat else None,
            "audit": audit_status(),
        }
    )
