"""Outages answer 503 "try again shortly", never a 500.

A database that does not answer, or a cache that is down or hung (``ops.cache``), is a
passing fault, not a bug: the page says to try again shortly, and the reporter side's page
carries a form's answers back so nothing typed is lost. Callers that have a safer answer of
their own (the report form keeps the answers on its check page; token guesses wait) handle
the fault themselves; this is for everything else, staff sign-in included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ops.cache import CacheUnavailable

logger = logging.getLogger("speakup.outage")

OUTAGES = (CacheUnavailable, OperationalError, InterfaceError)


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGES)


# Pages of their own for some paths (the reporter side registers its own, with its headers
# and the answers carried back): registered by those apps, so that ops imports none of them.
_PAGES: list[tuple[Callable[[str], bool], Callable[[HttpRequest], HttpResponse]]] = []


def unavailable_page_register(
    matches: Callable[[str], bool], page: Callable[[HttpRequest], HttpResponse]
) -> None:
    """Answer outages on paths that ``matches`` with ``page`` instead of the plain one."""
    if (matches, page) not in _PAGES:
        _PAGES.append((matches, page))


def service_unavailable(request: HttpRequest) -> HttpResponse:
    for matches, page in _PAGES:
        if matches(request.path):
            return page(request)
    response = render(request, "ops/unavailable.html", status=503)
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = "30"
    return response


class OutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        # The kind of fault only: no path, address or content.
        logger.warning("a request met an outage (%s)", type(exception).__name__)
        return service_unavailable(request)
