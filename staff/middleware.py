"""Staff-side request rules: session lifetimes, two-factor sign-in, and the one not-found.

The reporter side (``intake/``) shares none of this.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cases.exceptions import CaseNotFound
from permissions.access import refusals_begin, refusals_flush

STAFF_PREFIXES = ("/staff/", "/admin/")


def _passed_mfa(request: HttpRequest) -> bool:
    methods = request.session.get("account_authentication_methods", [])
    return any(entry.get("method") == "mfa" for entry in methods)


class StaffSessionMiddleware:
    """Ends staff sessions after the idle and absolute limits, and keeps staff pages for
    people signed in with two factors. Django rotates the session key at login and ends the
    sessions of a disabled user on their next request (ModelBackend refuses inactive users)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        staff_page = request.path.startswith(STAFF_PREFIXES)
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault("staff_started", now)
            seen = request.session.get("staff_seen", now)
            if (
                now - seen > settings.SPEAKUP_STAFF_IDLE_SECONDS
                or now - started > settings.SPEAKUP_STAFF_ABSOLUTE_SECONDS
            ):
                logout(request)
                if staff_page:
                    return redirect(f"{reverse('account_login')}?timed_out=1")
            else:
                request.session["staff_seen"] = now
        if staff_page:
            if not request.user.is_authenticated:
                return redirect(f"{reverse('account_login')}?next={request.path}")
            if not is_mfa_enabled(request.user):
                return redirect("mfa_activate_totp")
            if not _passed_mfa(request):
                logout(request)
                return redirect("account_login")
        return self.get_response(request)


class CaseAccessMiddleware:
    """Turns every ``CaseNotFound`` into the same 404 page, and writes refused attempts after
    the view's transactions have ended, so a rolled-back request still leaves its record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = refusals_begin()
        try:
            return self.get_response(request)
        finally:
            refusals_flush(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, CaseNotFound):
            return render(request, "staff/not_found.html", status=404)
        return None
