"""Staff-side request rules: session lifetimes, two-factor sign-in, and the one not-found.

The reporter side (``intake/``) shares none of this.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cases.exceptions import CaseNotFound
from permissions.access import refusals_begin, refusals_flush

STAFF_PREFIXES = ("/staff/", "/admin/")
# Pages that need a signed-in person, or manage one's account: after ending a session that
# had not passed the second factor, these send the person back to sign in.
SIGN_IN_PREFIXES = (*STAFF_PREFIXES, "/accounts/")


def _signed_out_url(request: HttpRequest) -> str:
    """Sign-in after a timed-out session, back to the page asked for when it was a page to
    read (a GET); a form's POST address is not a page to return to."""
    query = {"timed_out": "1"}
    if request.method == "GET":
        query["next"] = request.get_full_path()
    return f"{reverse('account_login')}?{urlencode(query)}"


def passed_second_factor(request: HttpRequest) -> bool:
    """Whether the signed-in user has a TOTP authenticator and this session passed it (or a
    recovery code) when it signed in."""
    user = request.user
    if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
        return False
    records = get_authentication_records(request, user)
    return any(entry.get("method") == "mfa" for entry in records)


class StaffSessionMiddleware:
    """Ends staff sessions after the idle and absolute limits, and ends any session that has
    not passed its account's second factor, on every page. Accounts without a second factor
    set one up inside the sign-in flow (``staff.signin.EnrolStage``), so a session that has
    passed only a password (from any login form) can do nothing at all. Django rotates the
    session key at login and ends the sessions of a disabled user on their next request
    (ModelBackend refuses inactive users)."""

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
                    return redirect(_signed_out_url(request))
            elif not passed_second_factor(request):
                logout(request)
                if request.path.startswith(SIGN_IN_PREFIXES):
                    return redirect("account_login")
            else:
                request.session["staff_seen"] = now
        if staff_page and not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
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
