"""Error pages of the reporter side: 400, 403, 404, 500 and 503 "try again shortly".

Every path outside the staff side is a reporter page, so an error there answers with a
reporter page and the reporter headers (``no-store``, ``no-referrer``, the strict Content
Security Policy), never Django's bare pages. These pages must render when nothing else works:
they read only the branding (kept in the cache, intake/configuration.py, else read from the
database), and fall back to the default look when neither answers. Staff paths keep Django's
own handlers (``config/urls.py`` routes both here).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP, build_policy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults

from intake.configuration import configuration
from intake.models import Branding

logger = logging.getLogger("speakup.intake")

STAFF_SIDE = ("/staff/", "/accounts/", "/admin/", "/healthz")
# Fields never carried into a "try again" form: files cannot be, and these are one-use.
_NOT_CARRIED = {"evidence", "csrfmiddlewaretoken"}


def is_reporter_path(path: str) -> bool:
    return not path.startswith(STAFF_SIDE)


def reporter_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The headers every reporter answer carries, error or not."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store, max-age=0"
    if CSP.HEADER_ENFORCE not in response:
        # Normally set by the middleware; an error raised outside it still gets the policy.
        nonce = getattr(request, "_csp_nonce", None)
        response[str(CSP.HEADER_ENFORCE)] = build_policy(settings.SECURE_CSP, nonce)
    return response


def branding_or_default() -> Branding:
    """The organisation's branding (as the cache keeps it, intake/configuration.py), or the
    default look when the database cannot say."""
    try:
        return configuration().branding
    except DatabaseError:
        return Branding()


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int
) -> HttpResponse:
    try:
        response = render(
            request, template, {"branding": branding_or_default(), **context}, status=status
        )
    except Exception:
        logger.exception("a reporter error page could not be drawn")
        response = HttpResponse(
            _("Sorry, there is a problem with the service. Try again later."),
            content_type="text/plain; charset=utf-8",
            status=status,
        )
    return reporter_headers(request, response)


# What each reporter error page says: a heading and one plain sentence, never the fault.
_WORDS = {
    400: (
        gettext_lazy("Something you sent could not be read"),
        gettext_lazy("Go back and try again. If it keeps happening, try again without any files."),
    ),
    403: (
        gettext_lazy("This page cannot be used like that"),
        gettext_lazy("Go to the start and try again."),
    ),
    404: (
        gettext_lazy("Page not found"),
        gettext_lazy("If you typed the web address, check it is correct."),
    ),
    500: (
        gettext_lazy("Sorry, there is a problem with the service"),
        gettext_lazy("Try again later."),
    ),
}


def _error(request: HttpRequest, status: int) -> HttpResponse:
    title, message = _WORDS[status]
    return _page(request, "intake/error.html", {"title": title, "message": message}, status)


def reporter_unavailable(request: HttpRequest) -> HttpResponse:
    """503: the database or the cache is not answering. A form that was being sent comes
    back with its answers, to send again with one press."""
    carried: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            carried = [
                (name, value)
                for name, values in request.POST.lists()
                if name not in _NOT_CARRIED
                for value in values
            ]
        except Exception:  # the body itself could not be read
            carried = []
    response = _page(
        request,
        "intake/unavailable.html",
        {"carried": carried, "action": request.path, "had_files": bool(request.FILES)}
        if request.method == "POST"
        else {"carried": [], "action": ""},
        status=503,
    )
    response["Retry-After"] = "30"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_reporter_path(request.path):
        return defaults.bad_request(request, exception)
    return _error(request, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_reporter_path(request.path):
        return defaults.permission_denied(request, exception)
    return _error(request, 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_reporter_path(request.path):
        return defaults.page_not_found(request, exception)
    return _error(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    from ops.middleware import is_outage, service_unavailable

    if is_outage(sys.exc_info()[1]):
        return service_unavailable(request)
    if not is_reporter_path(request.path):
        return defaults.server_error(request)
    return _error(request, 500)
