"""Top-level URLs: the reporter side and the staff side never share a view.

The reporter side answers in English at / and in Welsh at /cy/ (the language rides in the
address, so no cookie is needed to keep it: docs/decisions/0025-welsh.md); the staff side is
English only and never prefixed.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("staff/settings/", include("administration.urls")),
    path("staff/", include("staff.urls")),
    path("accounts/", include("staff.signin_urls")),  # the sign-in stage of our own
    path("accounts/", include("allauth.urls")),
    path("healthz", include("ops.urls")),
    path("admin/", admin.site.urls),
    *i18n_patterns(path("", include("intake.urls")), prefix_default_language=False),
]

# Reporter paths answer errors with reporter pages and headers; staff paths keep Django's.
handler400 = "intake.errors.bad_request"
handler403 = "intake.errors.permission_denied"
handler404 = "intake.errors.page_not_found"
handler500 = "intake.errors.server_error"
