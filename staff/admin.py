"""The administration site, narrowed so that it can never become a way to a case or to
someone else's account.

- Cases, their children, grants, exclusions and audit events are not registered at all.
- No credential is registered either: no groups (roles and teams change on the staff access
  page, by two people), no permissions, no authenticators, e-mail addresses, identity
  providers, linked identities or tokens, no sessions or log entries.
- Staff accounts: an administrator creates one (username, e-mail, names; no password: the
  person sets it from an e-mailed link and a second factor when first signing in), changes
  names, or disables it. Nothing else: no password, no roles, groups or permissions, no
  ``is_staff`` or ``is_superuser`` (the Administrator role alone opens this site), no delete,
  and the e-mail address (where password links go) is fixed once the account exists.
- The "view on site" shortcut (``admin/r/<content type>/<id>/``) is removed: it would answer
  differently for an existing and a missing case id.
Signing in to the admin goes through the staff sign-in with two factors
(``staff.admin_site`` closes Django's own login form; ``staff.middleware`` covers ``/admin/``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from permissions.services import ACCOUNT_FIELDS, AccessChangeRefused, account_create, account_update

# Models that allauth and Django register themselves, none of which an administrator may see.
CREDENTIAL_MODELS = (
    "auth.Group",
    "auth.Permission",
    "account.EmailAddress",
    "account.EmailConfirmation",
    "mfa.Authenticator",
    "socialaccount.SocialApp",
    "socialaccount.SocialAccount",
    "socialaccount.SocialToken",
    "sessions.Session",
    "admin.LogEntry",
)


class StaffAccountForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ("username", "email", "first_name", "last_name", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "email" in self.fields:
            self.fields["email"].required = True
            self.fields[
                "email"
            ].help_text = "Where the link to set a password goes. It cannot be changed later here."


class StaffAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = StaffAccountForm
    list_display = ("username", "first_name", "last_name", "email", "is_active", "roles")
    list_filter = ("is_active",)
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("username", "email", "first_name", "last_name")
        return ("username", "email", "first_name", "last_name", "is_active", "roles")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        # An account that is off is switched back on by two people (the access page).
        fixed = ("username", "email", "roles")
        return fixed if obj.is_active else (*fixed, "is_active")

    @admin.display(description="Roles and teams")
    def roles(self, obj: User) -> str:
        names = sorted(group.name for group in obj.groups.all())
        return ", ".join(names) or "none (roles change on the staff access page)"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor = request.user
        if not change:
            created = account_create(
                actor=actor,  # type: ignore[arg-type]
                username=obj.username,
                email=obj.email,
                first_name=obj.first_name,
                last_name=obj.last_name,
            )
            obj.pk, obj.password = created.pk, created.password
            return
        original = User.objects.get(pk=obj.pk)
        changes = {name: getattr(obj, name) for name in form.changed_data if name in ACCOUNT_FIELDS}
        try:
            account_update(actor=actor, user=original, changes=changes)  # type: ignore[arg-type]
        except AccessChangeRefused as error:  # pragma: no cover  (the form offers no such field)
            raise forms.ValidationError(error.message) from error


def register_auth(site: admin.AdminSite) -> None:
    """Replace Django's and allauth's registrations of accounts and credentials."""
    from django.apps import apps

    for label in (*CREDENTIAL_MODELS, "auth.User"):
        model = apps.get_model(label)
        if site.is_registered(model):
            site.unregister(model)
    site.register(User, StaffAccountAdmin)
