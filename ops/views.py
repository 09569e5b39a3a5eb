"""Health check for load balancers and people: 200 when the database, the cache, the broker
and the scheduler's heartbeat are all right, 503 otherwise, with a JSON body saying which
(``failing``). It also shows the latest check of the audit chains, for information."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops.selectors import service_health


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    health = service_health()
    return JsonResponse(health, status=503 if health["failing"] else 200)
