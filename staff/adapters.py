"""allauth adapters: staff accounts are made by administrators, the second factor is never
replaced by the password, throttles key an account together with its client, identity
providers come only from settings, and no client address is ever used as it is (only a
keyed hash of it, for throttling)."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from ops.clients import client_key
from staff.signin import note_password_failure

logger = logging.getLogger(__name__)


class StaffAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_key(request)

    def get_http_user_agent(self, request: HttpRequest) -> str:
        return "not recorded"

    def get_login_stages(self) -> list[str]:
        # After the password (and the second factor, for an account that has one): an account
        # without a second factor sets one up here, before it is signed in, and nowhere else.
        return [*super().get_login_stages(), "staff.signin.EnrolStage"]

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # The "5 a minute per key" limit counts failures of one account *from one client*:
        # wrong passwords typed elsewhere (an attacker's, or a whole office's) never lock the
        # owner out. The per-client limit and the alerts in staff.signin still apply.
        return (
            f"{super()._get_login_attempts_cache_key(request, **credentials)}|{client_key(request)}"
        )

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        note_password_failure(str(credentials.get("username", "")))

    def get_reauthentication_methods(
        self, user: AbstractBaseUser | AnonymousUser
    ) -> list[dict[str, Any]]:
        # Someone who has a second factor confirms with it, never with the password alone: a
        # password is the one secret a colleague may have seen typed.
        methods: list[dict[str, Any]] = super().get_reauthentication_methods(user)
        if user.is_authenticated and is_mfa_enabled(user):
            methods = [m for m in methods if m["id"] != "reauthenticate"]
        return methods

    def reauthenticate(self, user: AbstractBaseUser, password: str) -> bool:
        if is_mfa_enabled(user):
            return False
        return bool(super().reauthenticate(user, password))

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # A mail server that is down or refuses must not turn a password reset into an error
        # page: the page says the same whether or not a message went (no enumeration), and the
        # failure is logged without the address.
        try:
            super().send_mail(template_prefix, email, context)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("E-mail %s could not be sent: %s", template_prefix, type(error).__name__)


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        # Single sign-on only signs in staff whose identity is already linked to their account.
        return False

    def list_apps(
        self, request: HttpRequest, provider: Any = None, client_id: Any = None
    ) -> list[Any]:
        # Identity providers come from the deployment's settings only: a provider stored in the
        # database (by anyone who can write there) is never offered or trusted.
        from allauth.socialaccount.adapter import _build_apps_from_settings

        apps = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for provider_apps in apps.values() for app in provider_apps]
