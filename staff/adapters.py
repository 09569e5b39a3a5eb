"""allauth adapters: staff accounts are made by administrators, and no client address is
ever used as it is (only a keyed hash of it, for throttling)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.httpkit import get_client_ip
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_key(request: HttpRequest) -> str:
    """A keyed hash standing for the client's address, for throttles only.

    The address itself is never stored or logged; the hash changes with ``SECRET_KEY``, and
    throttle entries expire within minutes.
    """
    address = get_client_ip(request) or "unknown"
    return "c" + salted_hmac("speakup.client-key", address, algorithm="sha256").hexdigest()[:32]


class StaffAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_key(request)

    def get_http_user_agent(self, request: HttpRequest) -> str:
        return "not recorded"


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        # Single sign-on only signs in staff who already have an account (matched by email).
        return False
