"""An administrator session tries every path it has: each admin page, form and action
(with every field a browser could add), each staff page, and the access page alone, and
never ends up with more access, with someone else's credentials, or seeing a case.

The admin's pages come from the admin site's own registry and URLs, so a model or action
added later is tried too."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from cases.models import CaseType, OrganisationalUnit
from intake.models import Branding, SupportResource
from permissions.access import case_queryset_for_user
from permissions.models import AccessChange, ChangeStatus
from permissions.roles import CasePerm, Role
from staff.admin import CREDENTIAL_MODELS
from tests.conftest import TOTP_SECRET
from tests.staff.htmlforms import form_data


# Every field an attacker would add to any admin form, whatever the form shows.
def _evil(cast) -> dict[str, list[str]]:
    admin_group = Group.objects.get(name=Role.ADMINISTRATOR.value)
    return {
        "is_superuser": ["on"],
        "is_staff": ["on"],
        "groups": [str(pk) for pk in Group.objects.values_list("pk", flat=True)],
        "user_permissions": [str(pk) for pk in Permission.objects.values_list("pk", flat=True)],
        "permissions": [str(pk) for pk in Permission.objects.values_list("pk", flat=True)],
        # Repoint a case type at a team the administrator is in (their own role group).
        "triage_team": [str(admin_group.pk)],
        "password": ["md5$planted$0123456789abcdef0123456789abcdef"],
        "password1": ["a-planted-password-1"],
        "password2": ["a-planted-password-1"],
        "usable_password": ["true"],
        "email": ["attacker@example.org"],
    }


def _state():
    """Everything that decides who reaches case content, or who can sign in as whom."""
    return {
        "flags": sorted(User.objects.values_list("pk", "is_superuser", "is_staff")),
        "memberships": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        "user_perms": sorted(
            User.user_permissions.through.objects.values_list("user_id", "permission_id")
        ),
        "group_perms": sorted(
            Group.permissions.through.objects.values_list("group_id", "permission_id")
        ),
        "groups": sorted(Group.objects.values_list("pk", "name")),
        "triage_teams": sorted(CaseType.objects.values_list("pk", "triage_team_id")),
        "passwords": sorted(User.objects.values_list("pk", "password", "email")),
        "authenticators": sorted(
            (a.user_id, a.type, str(a.data)) for a in Authenticator.objects.all()
        ),
        "sso": (SocialApp.objects.count(), SocialAccount.objects.count()),
        "confirmed": AccessChange.objects.filter(status=ChangeStatus.CONFIRMED).count(),
    }


def _without_new_accounts(state, known):
    """The state of the accounts that existed before (an administrator may add accounts)."""
    state = dict(state)
    for key in ("flags", "memberships", "user_perms", "passwords", "authenticators"):
        state[key] = [row for row in state[key] if row[0] in known]
    return state


@pytest.fixture
def site(cast):
    """One row of every configurable model, and a case-type history in which the triage team
    once pointed at the administrators (a version the history admin could revert to)."""
    TOTP.activate(cast.assigned_handler, TOTP_SECRET)
    OrganisationalUnit.objects.create(slug="finance", name="Finance")
    Branding.objects.create(organisation_name="Demo", welcome="Welcome")
    SupportResource.objects.create(title="Helpline", description="Call us")
    original = cast.case_type.triage_team
    cast.case_type.triage_team = Group.objects.get(name=Role.ADMINISTRATOR.value)
    cast.case_type.save()
    cast.case_type.triage_team = original
    cast.case_type.save()
    return cast


def _admin_pages(model_admin, objects):
    opts = model_admin.model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    yield "changelist", base
    yield "add", f"{base}add/"
    for obj in objects:
        yield "change", f"{base}{obj.pk}/change/"
        yield "history", f"{base}{obj.pk}/history/"
        history = getattr(type(obj), "history", None)
        if history is not None:
            for record in history.filter(**{opts.pk.attname: obj.pk}):
                yield "revert", f"{base}{obj.pk}/history/{record.history_id}/"
        yield "delete", f"{base}{obj.pk}/delete/"


def _post_like_a_browser(client, path, evil):
    page = client.get(path)
    assert page.status_code < 500, path
    if page.status_code != 200:
        return [page]
    data = form_data(page.content.decode())
    answers = [client.post(path, {**data, "_save": "Save"})]
    answers.append(client.post(path, {**data, **evil, "_save": "Save", "post": "yes"}))
    return answers


def _sees_no_case(user, client, cast):
    assert not case_queryset_for_user(user, CasePerm.VIEW).exists()
    assert not case_queryset_for_user(user, CasePerm.WORK).exists()
    listing = client.get("/staff/cases/")
    assert listing.status_code == 200 and b"0 cases" in listing.content
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404
    export = client.get("/staff/cases/export.csv").getvalue().decode().splitlines()
    assert export == ["reference,case type,stage,category,received"]


@pytest.mark.slow
def test_an_administrator_tries_every_admin_page_form_and_action_and_gains_nothing(
    site, sign_in, client
):
    cast = site
    administrator = cast.administrator
    sign_in(administrator)
    known = set(User.objects.values_list("pk", flat=True))
    before = _state()
    evil = _evil(cast)
    tried = set()
    for model, model_admin in list(admin.site._registry.items()):
        # Every action of the change list, on every row (before the rows are deleted below).
        path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        changelist = client.get(path).content.decode()
        actions = set(re.findall(r'<option value="([a-z_]+)"', changelist)) & set(
            model_admin.get_actions(client.get(path).wsgi_request)
        )
        for action in actions:
            tried.add((model._meta.label, f"action:{action}"))
            answer = client.post(
                path,
                {
                    "action": action,
                    "_selected_action": [str(o.pk) for o in model._default_manager.all()],
                    "index": "0",
                    "post": "yes",
                },
            )
            assert answer.status_code < 500
            assert _without_new_accounts(_state(), known) == _without_new_accounts(before, known)
        objects = list(model._default_manager.all()[:20])
        for kind, path in _admin_pages(model_admin, objects):
            tried.add((model._meta.label, kind))
            answers = _post_like_a_browser(client, path, evil)
            assert all(a.status_code < 500 for a in answers), path
            assert _without_new_accounts(_state(), known) == _without_new_accounts(before, known), (
                path
            )
            assert not case_queryset_for_user(administrator).exists(), path
    # The registry was really walked: every configuration model and the accounts, with the
    # forms that used to open the way (the user form, the case type form and its history).
    # Units, branding and support are no longer here: the settings pages change them
    # (tests/administration/test_settings_pages.py).
    assert {
        ("auth.User", "change"),
        ("auth.User", "add"),
        ("cases.CaseType", "change"),
        ("cases.CaseType", "revert"),
        ("reports.MonitoringQuestion", "add"),
    } <= tried
    # Accounts made here have no role, no password and no second factor.
    for new in User.objects.exclude(pk__in=known):
        assert not new.groups.exists() and not new.has_usable_password()
        assert not (new.is_staff or new.is_superuser)
    _sees_no_case(administrator, client, cast)


@pytest.mark.parametrize("label", CREDENTIAL_MODELS)
def test_no_credential_model_is_in_the_admin(cast, sign_in, client, label):
    from django.apps import apps

    model = apps.get_model(label)
    assert not admin.site.is_registered(model)
    sign_in(cast.administrator)
    opts = model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    for path in (base, f"{base}add/", f"{base}1/change/"):
        assert client.get(path).status_code == 404
    client.post(
        f"/admin/{opts.app_label}/{opts.model_name}/add/",
        {"provider": "openid_connect", "name": "Planted", "client_id": "x", "secret": "x"},
    )
    assert not SocialApp.objects.exists()


def test_the_admin_registers_exactly_the_configuration_models_and_accounts():
    registered = {model._meta.label for model in admin.site._registry}
    # Units, branding, support and reminder policies are changed on the settings pages
    # (/staff/settings/), and of a case type only what those pages do not cover is left here.
    assert registered == {
        "cases.CaseType",
        "reports.MonitoringQuestion",
        "auth.User",
    }


def test_the_account_form_offers_no_role_credential_or_superuser_field(cast, sign_in, client):
    sign_in(cast.administrator)
    for path in (
        f"/admin/auth/user/{cast.assigned_handler.pk}/change/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{cast.administrator.pk}/change/",
    ):
        fields = set(form_data(client.get(path).content.decode(), "user_form"))
        assert fields <= {"csrfmiddlewaretoken", "username", "email", "first_name", "last_name"} | {
            "is_active"
        }, path
    # Django's "change password" page for a user is gone: nothing there sets a password.
    victim = cast.assigned_handler
    password = victim.password
    path = f"/admin/auth/user/{victim.pk}/password/"
    assert b'type="password"' not in client.get(path, follow=True).content
    client.post(path, {"password1": "Planted-password-9", "password2": "Planted-password-9"})
    victim.refresh_from_db()
    assert victim.password == password
    # The admin's own "change password" is the staff one (it asks for the current password).
    assert client.get("/admin/password_change/")["Location"] == "/accounts/password/change/"
    assert client.get(f"/admin/auth/user/{cast.assigned_handler.pk}/delete/").status_code == 403


def test_an_administrator_makes_an_account_and_disables_one_each_audited(cast, sign_in, client):
    from permissions.models import StaffEvent

    sign_in(cast.administrator)
    made = client.post(
        "/admin/auth/user/add/",
        {"username": "newcomer", "email": "newcomer@example.org", "first_name": "New"},
    )
    assert made.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert not newcomer.has_usable_password() and not newcomer.groups.exists()
    page = client.get(f"/admin/auth/user/{cast.governance_lead.pk}/change/").content.decode()
    data = form_data(page, "user_form")
    data.pop("is_active", None)
    client.post(f"/admin/auth/user/{cast.governance_lead.pk}/change/", {**data, "_save": "Save"})
    cast.governance_lead.refresh_from_db()
    assert not cast.governance_lead.is_active
    # Switching it back on is a change of access: the box is gone, a posted one is ignored.
    page = client.get(f"/admin/auth/user/{cast.governance_lead.pk}/change/").content.decode()
    assert 'name="is_active"' not in page
    client.post(
        f"/admin/auth/user/{cast.governance_lead.pk}/change/",
        {**form_data(page, "user_form"), "is_active": "on", "_save": "Save"},
    )
    cast.governance_lead.refresh_from_db()
    assert not cast.governance_lead.is_active
    codes = list(StaffEvent.objects.values_list("code", "user__username"))
    assert ("account.created", "newcomer") in codes
    assert ("account.deactivated", "governance") in codes


@pytest.mark.slow
def test_an_administrator_alone_gets_nothing_from_the_access_page_or_the_staff_pages(
    site, sign_in, client
):
    cast = site
    administrator = cast.administrator
    sign_in(administrator)
    triage_team = cast.case_type.triage_team
    proposals = [
        {"kind": "role_grant", "user": administrator.pk, "role": "HANDLER"},
        {"kind": "role_grant", "user": administrator.pk, "role": "TRIAGE_LEAD"},
        {"kind": "team_join", "user": administrator.pk, "team": triage_team.pk},
        {"kind": "team_join", "user": administrator.pk, "team": cast.team.pk},
        {"kind": "triage_team_set", "case_type": cast.case_type.pk, "team": cast.team.pk},
        {"kind": "second_factor_reset", "user": cast.assigned_handler.pk},
    ]
    for data in proposals:
        client.post("/staff/access/propose/", data)
    assert AccessChange.objects.filter(status=ChangeStatus.PENDING).count() == len(proposals)
    for change in AccessChange.objects.all():
        client.post(f"/staff/access/changes/{change.pk}/confirm/")
    assert not AccessChange.objects.filter(status=ChangeStatus.CONFIRMED).exists()
    # Every staff page, read and posted, with the case's real ids.
    from tests.staff.test_idor import _fill, _patterns

    ids = {"case_id": cast.case.pk, "evidence_id": cast.case.pk, "exclusion_id": 1}
    for name, route, _params in _patterns():
        if not (name or "").startswith("staff:") or "change_id" in route:
            continue
        path = _fill(route, ids)
        for method in ("get", "post"):
            answer = getattr(client, method)(
                path, {"assignee": administrator.pk, "user": administrator.pk, "reason": "x"}
            )
            assert answer.status_code < 500, path
    _sees_no_case(administrator, client, cast)
    assert Authenticator.objects.filter(user=cast.assigned_handler).exists()


def test_with_a_second_administrator_the_same_grant_does_open_the_case(
    site, second_administrator, sign_in, client
):
    # The control for the tests above: the path works when a second person confirms, so
    # their "sees no case" can fail.
    from django.test import Client

    cast = site
    sign_in(cast.administrator)
    client.post(
        "/staff/access/propose/",
        {"kind": "team_join", "user": cast.administrator.pk, "team": cast.team.pk},
    )
    client.post(
        "/staff/access/propose/",
        {"kind": "role_grant", "user": cast.administrator.pk, "role": "HANDLER"},
    )
    other = sign_in(second_administrator, Client())
    for change in AccessChange.objects.all():
        other.post(reverse("staff:access_confirm", args=[change.pk]))
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 200
