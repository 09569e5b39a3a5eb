"""The admin site class, kept apart from ``staff/admin.py`` so that loading it imports no
other admin module (Django builds the default site while those are being imported)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver


class SpeakUpAdminSite(admin.AdminSite):
    site_header = "Speak Up administration"
    site_title = "Speak Up administration"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
