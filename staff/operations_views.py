"""The service's health page: is the database, the cache, the broker and the scheduler
right, and when were the audit chains last checked. The same checks as ``/healthz``
(``ops.selectors.service_health``), for a person; and how the reminders are going (the last
scan, reminders waiting, e-mails sent and failed in the last day).

Administrators only (``may_see_operations``); anyone else gets not-found. Reads only; shows
no case and links to none.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notifications.selectors import reminder_health
from ops.selectors import service_health
from permissions.predicates import may_see_operations


@never_cache
@require_GET
def operations_page(request: HttpRequest) -> HttpResponse:
    if not isinstance(request.user, User) or not may_see_operations(request.user):
        raise Http404()
    return render(
        request,
        "staff/operations.html",
        {"health": service_health(), "reminders": reminder_health()},
    )
