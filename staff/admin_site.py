"""The admin site class, kept apart from ``staff/admin.py`` so that loading it imports no
other admin module (Django builds the default site while those are being imported).

The site has no sign-in of its own: Django's password-only login form (which would answer
anyone, signed in or not, without the second factor or the throttle) sends people to the
staff sign-in instead, and its password-change page to allauth's. Only administrators get in,
whatever ``is_staff`` or ``is_superuser`` say.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from permissions.roles import may_manage_access

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def _read_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("Old versions can be read, not restored.")
        return view(request, *args, **kwargs)

    return wrapper


class SpeakUpAdminSite(admin.AdminSite):
    site_header = "Speak Up administration"
    site_title = "Speak Up administration"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        # django-simple-history's "revert" page saves an old version of a row, readonly
        # fields included (a case type's triage team, say), and its setting
        # SIMPLE_HISTORY_REVERT_DISABLED only hides the button. History here is to read.
        if getattr(view, "__name__", "") == "history_form_view":
            view = cast("_View", _read_only(view))
        return super().admin_view(view, cacheable)

    def has_permission(self, request: HttpRequest) -> bool:
        return may_manage_access(request.user)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Never reads a posted password: everyone signs in through the staff sign-in.
        if request.user.is_authenticated:
            if not self.has_permission(request):
                raise PermissionDenied("The administration site is for administrators.")
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        wanted = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
            wanted = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{resolve_url('account_login')}?{urlencode({'next': wanted})}")

    # A redirect, not a template: the password is changed on the staff side.
    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: Any = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("account_change_password"))
