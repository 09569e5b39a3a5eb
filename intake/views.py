"""The reporter side. Shares no view, template base or middleware assumption with staff pages.

No page here sets a cookie until one is needed, loads anything from a third party, or records
who asked for it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.models import CaseType


@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The start page: the kinds of report that are open, and what each is for."""
    case_types = CaseType.objects.filter(is_active=True).order_by("position", "name")
    response = render(request, "intake/start.html", {"case_types": case_types})
    # A link followed from here tells the next site nothing, not even that it came from here.
    response["Referrer-Policy"] = "no-referrer"
    return response
