"""allauth adapters: staff accounts are made by administrators, and no client address is
ever used as it is (only a keyed hash of it, for throttling)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest

from ops.clients import client_key


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
