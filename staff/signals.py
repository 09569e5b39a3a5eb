"""Connects allauth's signals to the staff audit record and the sign-in alerts.

Each handler records who did what to their own account (``permissions.audit``); none holds a
client address, a user agent or a code.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_reset
from allauth.socialaccount.signals import social_account_added, social_account_removed
from django.dispatch import receiver

from permissions.audit import staff_event_record
from staff.signin import note_second_factor_failure


@receiver(authentication_failed)
def _second_factor_failed(sender: Any, user: Any, **kw: Any) -> None:
    note_second_factor_failure(user)


@receiver(authenticator_added)
@receiver(authenticator_reset)
def _recovery_codes_made(sender: Any, user: Any, authenticator: Any, **kw: Any) -> None:
    # TOTP is only ever added by staff.services, which records it itself.
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        staff_event_record(code="mfa.recovery_codes", actor=user, user=user)


@receiver(social_account_added)
def _sso_linked(sender: Any, request: Any, sociallogin: Any, **kw: Any) -> None:
    user = sociallogin.user
    staff_event_record(
        code="sso.linked", actor=user, user=user, payload={"provider": sociallogin.account.provider}
    )


@receiver(social_account_removed)
def _sso_unlinked(sender: Any, request: Any, socialaccount: Any, **kw: Any) -> None:
    user = socialaccount.user
    staff_event_record(
        code="sso.unlinked", actor=user, user=user, payload={"provider": socialaccount.provider}
    )


@receiver(password_changed)
@receiver(password_set)
def _password_changed(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    staff_event_record(code="password.changed", actor=user, user=user)


@receiver(password_reset)
def _password_reset(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    staff_event_record(code="password.reset", actor=None, user=user)
