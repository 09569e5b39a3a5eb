"""Sign-in pages of our own, mounted under ``/accounts/`` beside allauth's."""

from django.urls import path

from staff import signin

urlpatterns = [
    path("2fa/enrol/", signin.enrol, name="staff_enrol"),
    path("session/keep/", signin.session_keep, name="staff_session_keep"),
]
