"""Top-level URLs: the reporter side and the staff side never share a view."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("intake.urls")),
    path("staff/", include("staff.urls")),
    path("accounts/", include("staff.signin_urls")),  # the sign-in stage of our own
    path("accounts/", include("allauth.urls")),
    path("healthz", include("ops.urls")),
    path("admin/", admin.site.urls),
]

# Reporter paths answer errors with reporter pages and headers; staff paths keep Django's.
handler400 = "intake.errors.bad_request"
handler403 = "intake.errors.permission_denied"
handler404 = "intake.errors.page_not_found"
handler500 = "intake.errors.server_error"
