"""Nobody holds a case permission model-wide, and superusers get no case content."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from permissions.roles import CASE_DATA_APPS, CONFIGURATION_MODELS


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
def test_the_administrator_role_holds_exactly_its_configuration_permissions():
    # Written out by hand: configuration, and staff accounts' names. No case data, no
    # credential, no group (roles), no permission, no delete of an account.
    expected = {
        "cases.view_casetype",
        "cases.change_casetype",
        "reports.view_monitoringquestion",
        "reports.add_monitoringquestion",
        "reports.change_monitoringquestion",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    }
    group = Group.objects.get(name="Administrator")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert held == expected
    others = Group.objects.exclude(name="Administrator").filter(permissions__isnull=False)
    assert not others.exists()


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


@pytest.mark.slow  # the first admin pages of a run compile their templates
def test_a_superuser_sees_no_case_content_and_superuser_status_opens_no_admin(
    cast, sign_in, client
):
    sign_in(cast.superuser)
    assert str(cast.case.pk).encode() not in client.get("/staff/cases/").content
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404
    # Only the Administrator role opens the administration site.
    assert client.get("/admin/", follow=True).status_code == 403
    sign_in(cast.administrator)
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


def test_every_migrate_restores_the_roles_once_after_every_apps_permissions(db, monkeypatch):
    """post_migrate comes once per app; the roles are made once, after the last app's."""
    from django.core.management.sql import emit_post_migrate_signal

    from permissions import services

    calls = []
    real = services.roles_ensure

    def counted(**kw):
        calls.append(kw)
        real(**kw)

    monkeypatch.setattr(services, "roles_ensure", counted)
    administrator = Group.objects.get(name="Administrator")
    administrator.permissions.clear()
    Group.objects.filter(name="Handler").delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert calls == [{"using": "default"}]
    assert Group.objects.filter(name="Handler").exists()
    assert administrator.permissions.filter(codename="change_casetype").exists()
