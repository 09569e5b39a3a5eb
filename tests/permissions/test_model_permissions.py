"""Nobody holds a case permission model-wide, and superusers get no case content."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from permissions.roles import CASE_DATA_APPS, CONFIGURATION_MODELS
from staff.admin import assignable_permissions


def _case_permissions():
    return Permission.objects.filter(content_type__app_label__in=CASE_DATA_APPS).exclude(
        content_type__model__in=CONFIGURATION_MODELS
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_no_user_or_group_holds_a_model_level_case_permission_after_the_demo():
    call_command("seed_demo", scale=0.05, stdout=StringIO())
    assert not User.objects.filter(user_permissions__in=_case_permissions()).exists()
    assert not Group.objects.filter(permissions__in=_case_permissions()).exists()


@pytest.mark.django_db
def test_there_is_no_guardian_anonymous_user(settings):
    assert settings.ANONYMOUS_USER_NAME is None
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_administrators_cannot_grant_case_permissions_model_wide():
    offered = set(assignable_permissions().values_list("content_type__model", flat=True))
    assert {"casetype", "category", "organisationalunit", "user", "group"} <= offered
    assert not offered & {"case", "message", "evidence", "action", "caseevent", "datakey"}
    assert not offered & {"caseuserpermission", "casegrouppermission", "caseexclusion"}


def test_case_records_are_not_in_the_admin():
    from django.contrib import admin

    registered = {model._meta.label for model in admin.site._registry}
    assert "cases.CaseType" in registered
    hidden = {
        "cases.Case",
        "cases.Message",
        "cases.Evidence",
        "cases.Action",
        "cases.CaseEvent",
        "cases.DataKey",
        "cases.HistoricalCase",
        "permissions.CaseUserPermission",
        "permissions.CaseGroupPermission",
        "permissions.CaseExclusion",
        "permissions.AccessRefusal",
    }
    assert not registered & hidden


def test_the_admin_has_no_view_on_site_shortcut():
    from django.urls import NoReverseMatch, reverse

    with pytest.raises(NoReverseMatch):
        reverse("admin:view_on_site", args=[1, 1])


def test_a_superuser_sees_no_case_content(cast, sign_in, client):
    sign_in(cast.superuser)
    assert str(cast.case.pk).encode() not in client.get("/staff/cases/").content
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404
    admin_index = client.get("/admin/")
    assert admin_index.status_code == 200
    assert b"call me" not in admin_index.content


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_administrator_can_configure_but_not_open_cases():
    call_command("seed_demo", scale=0.05, stdout=StringIO())
    admin_user = User.objects.get(username="admin")
    assert admin_user.has_perm("cases.change_casetype")
    assert not admin_user.has_perm("cases.view_case")
