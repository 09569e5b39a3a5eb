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

        from staff import (
            checks,  # noqa: F401  (registers the second-factor secrets check)
            signals,  # noqa: F401  (connects allauth signals)
        )
        from staff.admin import register_auth

        # Replace Django's and allauth's account and credential admins (staff/admin.py).
        register_auth(admin.site)
