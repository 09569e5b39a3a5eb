from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SpeakUpAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the narrowed site in ``staff/admin.py``."""

    default = False
    default_site = "staff.admin_site.SpeakUpAdminSite"


class StaffConfig(AppConfig):
    default = True
    name = "staff"
    verbose_name = "Staff pages"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.models import Group, User

        from staff import signals  # noqa: F401  (connects allauth signals)
        from staff.admin import register_auth

        # Replace Django's user and group admins with ones that cannot grant case permissions.
        for model in (User, Group):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
        register_auth(admin.site)
