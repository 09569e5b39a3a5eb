"""The administration site, narrowed so that it can never become a way to a case.

- Cases, their children, grants, exclusions and audit events are not registered at all.
- The "view on site" shortcut (``admin/r/<content type>/<id>/``) is removed: it would answer
  differently for an existing and a missing case id.
- Case permissions cannot be given to users or groups model-wide (the gate ignores them
  anyway; this keeps the data honest).
Signing in to the admin goes through the staff sign-in with two factors
(``staff.middleware.StaffSessionMiddleware`` covers ``/admin/``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q, QuerySet

from permissions.roles import CASE_DATA_APPS, CONFIGURATION_MODELS


def assignable_permissions() -> QuerySet[Permission]:
    """Permissions an administrator may give model-wide: configuration, never case data."""
    case_data = Q(content_type__app_label__in=CASE_DATA_APPS) & ~Q(
        content_type__model__in=CONFIGURATION_MODELS
    )
    return Permission.objects.exclude(case_data).select_related("content_type")


class _NoCasePermissions:
    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["queryset"] = assignable_permissions()
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class StaffUserAdmin(_NoCasePermissions, UserAdmin):  # type: ignore[type-arg]
    pass


class StaffGroupAdmin(_NoCasePermissions, GroupAdmin):  # type: ignore[misc]
    pass


def register_auth(site: admin.AdminSite) -> None:
    site.register(User, StaffUserAdmin)
    site.register(Group, StaffGroupAdmin)
