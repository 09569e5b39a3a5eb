"""The sign-in flow's own parts: setting up the first second factor, replacing it, and the
alerts on repeated failures.

A fresh account has no second factor. It sets one up here, as a stage of allauth's sign-in
(after the password, before the person is signed in), so no session ever exists that has
passed only the password. Everyone signed in has passed their second factor
(``staff.middleware``); replacing it needs a code from the current one
(``staff.services.authenticator_replace``).

Alerts: many wrong passwords for one account from several clients, or a few wrong
second-factor codes (which means the password was right), are logged as warnings and
recorded as staff events. No client address, user agent or typed value is ever logged.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.flows.login import record_authentication
from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    clear_totp_secret,
    generate_totp_secret,
    get_totp_secret,
)
from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from permissions.audit import staff_event_record

logger = logging.getLogger("speakup.signin")

# Alerts: (how many, within seconds).
PASSWORD_FAILURES_ALERT = (20, 3600)
SECOND_FACTOR_FAILURES_ALERT = (3, 900)


class EnrolStage(LoginStage):  # type: ignore[misc]
    """The last sign-in stage: an account without TOTP sets it up before it is signed in."""

    key = "speakup_enrol"
    urlname = "staff_enrol"

    def handle(self) -> tuple[HttpResponse | None, bool]:
        user = self.login.user
        if user is None or is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            return None, True
        return headed_redirect_response("staff_enrol"), True


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


def totp_context(user: Any, secret: str) -> dict[str, Any]:
    """What a page needs to show a new TOTP secret: a QR code (inline SVG) and the secret."""
    adapter = get_mfa_adapter()
    url = adapter.build_totp_url(user, secret)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"totp_svg": adapter.build_totp_svg(url), "secret": grouped}


@login_stage_required(stage=EnrolStage.key, redirect_urlname="account_login")  # type: ignore[untyped-decorator]
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the first second factor, inside the sign-in flow (``EnrolStage``)."""
    from staff.services import SecondFactorRefused, authenticator_enrol

    stage = request._login_stage  # type: ignore[attr-defined]
    user = stage.login.user
    form = CodeForm(request.POST or None)
    secret = get_totp_secret(regenerate=request.method != "POST")
    if request.method == "POST" and form.is_valid():
        try:
            clear_limit = check_rate_limit(user)
            authenticator_enrol(user=user, secret=secret, code=form.cleaned_data["code"])
        except forms.ValidationError as error:  # too many tries: allauth's throttle
            form.add_error("code", error)
        except SecondFactorRefused as error:
            form.add_error("code", error.message)
        else:
            clear_limit()
            clear_totp_secret(request)
            record_authentication(request, user, "mfa", type="totp", enrolled=True)
            return stage.exit()  # type: ignore[no-any-return]
    return render(
        request, "staff/enrol.html", {"form": form, **totp_context(user, secret)}, status=200
    )


# --- Alerts -----------------------------------------------------------------------------------


def _count(key: str, window: int) -> int:
    """Add one to a counter that lives ``window`` seconds; 0 if the cache cannot be reached
    (alerts are best effort; the throttles themselves are elsewhere)."""
    try:
        cache.add(key, 0, timeout=window)
        return int(cache.incr(key))
    except Exception as error:  # any cache failure: no alert, and no error page either
        logger.warning("Sign-in alert counter unavailable: %s", type(error).__name__)
        return 0


def note_password_failure(username: str) -> None:
    """Count a wrong password for an existing account, from any client; at the threshold,
    alert once (the per-client throttle keeps each client to five a minute)."""
    user = User.objects.filter(username__iexact=username[:150]).only("pk").first()
    if user is None:
        return
    threshold, window = PASSWORD_FAILURES_ALERT
    if _count(f"speakup:signin-failures:{user.pk}", window) == threshold:
        logger.warning(
            "Staff account %s: %s failed sign-ins within %s minutes, from more than one "
            "place. Someone may be guessing its password.",
            user.pk,
            threshold,
            window // 60,
        )
        staff_event_record(
            code="signin.failures", actor=None, user=user, payload={"count": threshold}
        )


def note_second_factor_failure(user: User) -> None:
    """Count a wrong second-factor code; at the threshold, alert once: whoever typed them
    knew the password."""
    threshold, window = SECOND_FACTOR_FAILURES_ALERT
    if _count(f"speakup:mfa-failures:{user.pk}", window) == threshold:
        logger.warning(
            "Staff account %s: %s wrong second-factor codes within %s minutes. Its password "
            "may be known to someone else.",
            user.pk,
            threshold,
            window // 60,
        )
        staff_event_record(code="mfa.failures", actor=None, user=user, payload={"count": threshold})


# --- One's own account --------------------------------------------------------------------------

NEW_SECRET_SESSION_KEY = "staff.totp.new"  # noqa: S105  (a session key name, not a secret)


class ReplaceForm(forms.Form):
    current_code = forms.CharField(
        label="Code from your current authenticator app, or a recovery code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )
    code = forms.CharField(
        label="Code from your new authenticator app",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


@never_cache
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own account: replace the authenticator (needs a code from the
    current one), and links to recovery codes, password and single sign-on."""
    from staff.forms import email_choice_form
    from staff.services import SecondFactorRefused, authenticator_replace

    user = request.user
    if not isinstance(user, User):  # staff.middleware lets only signed-in people here
        raise PermissionDenied()
    form = ReplaceForm(request.POST or None)
    if request.method != "POST" or NEW_SECRET_SESSION_KEY not in request.session:
        request.session[NEW_SECRET_SESSION_KEY] = generate_totp_secret()
    secret = request.session[NEW_SECRET_SESSION_KEY]
    if request.method == "POST" and form.is_valid():
        try:
            clear_limit = check_rate_limit(user)
            authenticator_replace(
                user=user,
                current_code=form.cleaned_data["current_code"],
                new_secret=secret,
                new_code=form.cleaned_data["code"],
            )
        except forms.ValidationError as error:  # too many tries: allauth's throttle
            form.add_error(None, error)
        except SecondFactorRefused as error:
            form.add_error(None, error.message)
        else:
            clear_limit()
            del request.session[NEW_SECRET_SESSION_KEY]
            record_authentication(request, user, "mfa", type="totp", replaced=True)
            messages.success(
                request, "Your new authenticator is set up; the old one no longer works."
            )
            return redirect("staff:account")
    return render(
        request,
        "staff/account.html",
        {
            "form": form,
            "sso": bool(settings.SOCIALACCOUNT_PROVIDERS),
            "email_form": email_choice_form(user),
            "email_missing": not user.email,
            **totp_context(user, secret),
        },
    )


@never_cache
def session_keep(request: HttpRequest) -> HttpResponse:
    """The idle warning's "Stay signed in" (``staff/static/staff/timeout.js``): a POST that
    counts as activity. The session's time is moved on by ``StaffSessionMiddleware`` for any
    request of a signed-in person; this answers 204 if the session is still alive and 401
    once it has ended, so the page can say so."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)
