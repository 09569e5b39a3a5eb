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
