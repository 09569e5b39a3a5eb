"""A signed-in colleague who knows another staff member's password, a stranger with that
password, and an administrator each try every door to that account; none ends signed in as
that person, with their second factor changed, or with case content.

The victim is the cast's assigned handler, who can read the case, and then an administrator
(``is_staff``, so Django's own admin login form used to accept their password alone)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.cache import cache
from django.test import Client

from permissions.models import AccessChange, StaffEvent
from tests.conftest import TOTP_SECRET, totp_code

PASSWORD = "a-long-password-1"  # every cast member's
CASE_CONTENT = (b"Something happened.", b"0700 000000")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _victim(user):
    user.email = "victim@example.org"
    user.save(update_fields=["email"])
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture(params=["assigned_handler", "administrator"])
def victim(cast, request):
    """The handler on the case, and an administrator (whom Django's admin login accepted)."""
    return _victim(getattr(cast, request.param))


@pytest.fixture
def handler_victim(cast):
    return _victim(cast.assigned_handler)


@pytest.fixture
def attacker_secret(cast):
    secret = generate_totp_secret()
    TOTP.activate(cast.unassigned_handler, secret)
    return secret


def _authenticators(user):
    return sorted((a.pk, a.type, str(a.data)) for a in Authenticator.objects.filter(user=user))


class Watch:
    """Every response of a client, checked: never the victim, never case content."""

    def __init__(self, client: Client, victim) -> None:
        self.client, self.victim, self.answers = client, victim, 0

    def _check(self, response, path):
        self.answers += 1
        assert response.status_code < 500, path
        assert self.client.session.get("_auth_user_id") != str(self.victim.pk), path
        body = b"" if response.streaming else response.content
        assert not any(text in body for text in CASE_CONTENT), path
        return response

    def get(self, path, **extra):
        return self._check(self.client.get(path, **extra), path)

    def post(self, path, data=None, **extra):
        return self._check(self.client.post(path, data or {}, **extra), path)


# Pages that manage an account or a second factor, or lead to a case.
ACCOUNT_PAGES = [
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/totp/deactivate/",
    "/accounts/2fa/recovery-codes/",
    "/accounts/2fa/recovery-codes/generate/",
    "/accounts/2fa/reauthenticate/",
    "/accounts/2fa/enrol/",
    "/accounts/reauthenticate/",
    "/accounts/password/change/",
    "/accounts/password/set/",
    "/accounts/email/",
    "/accounts/3rdparty/",
    "/staff/account/",
    "/staff/cases/",
    "/admin/",
    "/admin/auth/user/",
]


def _every_account_page(watch: Watch, codes: list[str]) -> None:
    for path in ACCOUNT_PAGES:
        watch.get(path)
        for code in codes:
            watch.post(
                path,
                {
                    "code": code,
                    "current_code": code,
                    "password": PASSWORD,
                    "oldpassword": PASSWORD,
                    "password1": "A-new-password-77",
                    "password2": "A-new-password-77",
                    "email": "attacker@example.org",
                    "action_add": "1",
                },
            )


@pytest.mark.slow
def test_a_colleague_signed_in_with_the_victims_password_gets_nowhere(
    cast, victim, attacker_secret, sign_in, client
):
    before = _authenticators(victim)
    sign_in(cast.unassigned_handler)
    watch = Watch(client, victim)
    # Django's own admin login form, which used to answer anyone signed in.
    watch.post("/admin/login/", {"username": victim.username, "password": PASSWORD})
    watch.post("/admin/login/?next=/admin/", {"username": victim.username, "password": PASSWORD})
    # The staff sign-in, while signed in as themselves.
    watch.post("/accounts/login/", {"login": victim.username, "password": PASSWORD})
    # Every account page, with codes from their own authenticator app.
    _every_account_page(watch, [totp_code(attacker_secret), totp_code(attacker_secret, 1)])
    assert _authenticators(victim) == before
    assert client.session.get("_auth_user_id") in (None, str(cast.unassigned_handler.pk))


def test_a_stranger_with_the_victims_password_stops_at_the_second_factor(
    cast, victim, attacker_secret
):
    before = _authenticators(victim)
    watch = Watch(Client(), victim)
    step = watch.post("/accounts/login/", {"login": victim.username, "password": PASSWORD})
    assert step["Location"] == "/accounts/2fa/authenticate/"
    # Half-way through the victim's sign-in, every other page, with the stranger's codes.
    _every_account_page(watch, [totp_code(attacker_secret)])
    # And the second factor itself, with wrong codes: refused, and an alert once.
    watch.post("/accounts/login/", {"login": victim.username, "password": PASSWORD})
    for code in ("000000", "111111", totp_code(attacker_secret)):
        watch.post("/accounts/2fa/authenticate/", {"code": code})
    assert StaffEvent.objects.filter(code="mfa.failures", user=victim).count() == 1
    # The admin's login form, not signed in: sends to the staff sign-in, reads no password.
    answer = watch.post("/admin/login/", {"username": victim.username, "password": PASSWORD})
    assert answer["Location"].startswith("/accounts/login/")
    assert _authenticators(victim) == before
    assert watch.answers >= 2 * len(ACCOUNT_PAGES)


def test_a_session_left_with_only_the_password_can_do_nothing(cast, victim, attacker_secret):
    # As any password-only login form would leave it (the admin's used to).
    before = _authenticators(victim)
    browser = Client()
    for path in ACCOUNT_PAGES:
        browser.force_login(victim)
        answer = browser.post(path, {"code": totp_code(attacker_secret)})
        assert "_auth_user_id" not in browser.session, path
        assert not any(text in answer.content for text in CASE_CONTENT), path
    assert _authenticators(victim) == before


def test_a_password_reset_mails_only_the_owner_and_signs_nobody_in(cast, victim):
    watch = Watch(Client(), victim)
    watch.post("/accounts/password/reset/", {"email": victim.email})
    (message,) = mail.outbox
    assert message.to == ["victim@example.org"]
    # Unknown addresses get nothing (and the same page).
    watch.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert len(mail.outbox) == 1
    # The owner follows the link: a new password, but still not signed in without the code.
    link = next(line for line in message.body.splitlines() if "/password/reset/key/" in line)
    path = link[link.index("/accounts/") :].strip()
    owner = Client()
    form = owner.get(path, follow=True)
    done = owner.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": "A-new-password-77", "password2": "A-new-password-77"},
    )
    assert done.status_code == 302
    assert "_auth_user_id" not in owner.session
    step = owner.post(
        "/accounts/login/", {"login": victim.username, "password": "A-new-password-77"}
    )
    assert step["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in owner.session


def test_an_administrator_cannot_become_someone_else_alone(
    cast, handler_victim, sign_in, client, second_administrator
):
    victim = handler_victim
    before = _authenticators(victim)
    sign_in(cast.administrator)
    watch = Watch(client, victim)
    # The account pages in the admin: no password, no e-mail change, no authenticators.
    for path in (
        f"/admin/auth/user/{victim.pk}/change/",
        f"/admin/auth/user/{victim.pk}/password/",
        "/admin/mfa/authenticator/",
        f"/admin/mfa/authenticator/{Authenticator.objects.filter(user=victim).first().pk}/change/",
        "/admin/socialaccount/socialapp/add/",
        "/admin/socialaccount/socialaccount/add/",
        "/admin/account/emailaddress/add/",
    ):
        watch.get(path)
        watch.post(
            path,
            {
                "username": victim.username,
                "is_active": "on",
                "email": "attacker@example.org",
                "password1": "A-new-password-77",
                "password2": "A-new-password-77",
                "data": '{"secret": "JBSWY3DPEHPK3PXP"}',
                "user": victim.pk,
                "provider": "openid_connect",
                "uid": "attacker",
                "_save": "Save",
            },
        )
    victim.refresh_from_db()
    assert victim.email == "victim@example.org"
    # A reset of the victim's second factor, proposed and "confirmed" alone, does nothing.
    watch.post("/staff/access/propose/", {"kind": "second_factor_reset", "user": victim.pk})
    change = AccessChange.objects.get()
    watch.post(f"/staff/access/changes/{change.pk}/confirm/")
    # A password reset mails the victim, not the administrator.
    Watch(Client(), victim).post("/accounts/password/reset/", {"email": victim.email})
    assert [m.to for m in mail.outbox] == [["victim@example.org"]]
    assert _authenticators(victim) == before
    # The administrator's own session never held the victim, nor any case content.
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404
