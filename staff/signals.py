"""Connects allauth's MFA signals to the staff session rules."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added)
def _totp_set_up_counts_as_mfa(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    # Setting up TOTP proves the code generator is in hand, just as a login challenge would:
    # record it, so the session that set it up may go on to the staff pages.
    if request is not None:
        record_authentication(request, user, "mfa", type=str(authenticator.type))
