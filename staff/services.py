"""Writes about a staff member's own second factor: the first one, set up while signing in,
and replacing it. The only code that creates a TOTP authenticator (allauth's own set-up page
is never reached: every signed-in session already has one, and allauth may not delete it).

Both are audited (``permissions.audit``) in the same transaction as the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from django.db import transaction

from cases.exceptions import SpeakUpError
from permissions.audit import staff_event_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class SecondFactorRefused(SpeakUpError):
    message = "That code is not right. Check the time on your phone and try again."


def authenticator_enrol(*, user: User, secret: str, code: str) -> Authenticator:
    """Set up the first TOTP authenticator of ``user`` from ``secret`` once ``code`` shows
    the person's app holds it. Called only from the sign-in flow (``staff.signin``), before
    the person is signed in. Refused if they already have one, or the code is wrong."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        raise SecondFactorRefused("This account already has a second factor.")
    if not validate_totp_code(secret, code):
        raise SecondFactorRefused()
    with transaction.atomic():
        authenticator = TOTP.activate(user, secret).instance
        staff_event_record(code="mfa.enrolled", actor=user, user=user, payload={"type": "totp"})
    return authenticator


def _current_factor_holds(user: User, code: str) -> bool:
    """Whether ``code`` is a valid code of one of the user's current authenticators (their
    app, or an unused recovery code). A valid code is used up."""
    for authenticator in Authenticator.objects.filter(user=user).order_by("type"):
        if authenticator.wrap().validate_code(code):
            authenticator.record_usage()
            return True
    return False


def authenticator_replace(
    *, user: User, current_code: str, new_secret: str, new_code: str
) -> Authenticator:
    """Replace the TOTP authenticator of ``user`` (a new phone, say). Needs a code from the
    current one (or a recovery code) and a code from the new one; without the current second
    factor, only two administrators can reset it (``ChangeKind.SECOND_FACTOR_RESET``)."""
    if not _current_factor_holds(user, current_code):
        raise SecondFactorRefused("The code from your current authenticator is not right.")
    if not validate_totp_code(new_secret, new_code):
        raise SecondFactorRefused("The code from your new authenticator is not right.")
    with transaction.atomic():
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
        authenticator = TOTP.activate(user, new_secret).instance
        staff_event_record(code="mfa.replaced", actor=user, user=user, payload={"type": "totp"})
    return authenticator
