"""Single sign-on with OpenID Connect works by configuration alone, against a stub provider
that runs inside the test (tests/staff/oidc_stub.py); nothing reaches the internet.

Only staff who already have an account sign in (matched by a verified email address), every
broken step fails closed, and the staff pages still ask for TOTP after single sign-on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.socialaccount.models import SocialAccount
from django.contrib import auth
from django.test import Client
from django.urls import reverse

from tests.staff.oidc_stub import Identity, StubIdP

pytestmark = pytest.mark.django_db

EMAIL = "handler@example.org"
LOGIN_PATH = reverse("openid_connect_login", kwargs={"provider_id": "sso"})
CALLBACK_PATH = reverse("openid_connect_callback", kwargs={"provider_id": "sso"})


def sso_settings(server_url: str, *, secret: str) -> dict[str, Any]:
    """What config/settings.py builds from SPEAKUP_OIDC_* (provider_id "sso")."""
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Stub IdP",
                    "client_id": "speakup",
                    "secret": secret,
                    "settings": {"server_url": server_url},
                }
            ],
        }
    }


@pytest.fixture
def idp(settings, monkeypatch) -> Iterator[StubIdP]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # a proxy in the environment must not interfere
    with StubIdP(identity=Identity(sub="idp-user-1", email=EMAIL)) as stub:
        settings.SOCIALACCOUNT_PROVIDERS = sso_settings(stub.url, secret="s3cret")
        yield stub


@pytest.fixture
def staff(django_user_model):
    """An active staff account made by an administrator, with the same email as at the IdP."""
    return django_user_model.objects.create_user(
        username="handler", email=EMAIL, password="not-used-123!"
    )


def start_sso(client: Client, idp: StubIdP) -> str:
    """Presses "sign in with single sign-on"; returns the provider's authorization URL."""
    response = client.post(LOGIN_PATH)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{idp.url}/authorize?")
    return location


def to_local(url: str) -> str:
    parts = urlsplit(url)
    assert parts.netloc == "testserver", url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def sso(client: Client, idp: StubIdP):
    """The whole round trip; returns the response to the callback."""
    callback = idp.authorize(start_sso(client, idp))
    assert urlsplit(callback).path == CALLBACK_PATH
    return client.get(to_local(callback))


def refused(client: Client, path: str) -> bool:
    """GETs a callback that allauth must refuse, following its same-site cookie detour
    (SESSION_COOKIE_SAMESITE is "Strict", so a callback without known state first gets a
    page that retries it as a same-site request); True if it ends on the error page."""
    response = client.get(path)
    if response.status_code == 200 and "_redir" in response.context["redirect_to"]:
        response = client.get(response.context["redirect_to"])
    return response.status_code == 401


def signed_in_user(client: Client):
    user = auth.get_user(client)
    return user if user.is_authenticated else None


def totp_code(secret: str) -> str:
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


# --- 1. an existing staff account signs in -----------------------------------------------------


def test_sso_signs_in_the_staff_account_with_the_same_verified_email(client, idp, staff):
    response = sso(client, idp)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:case_list")
    assert signed_in_user(client) == staff
    methods = client.session["account_authentication_methods"]
    assert [m["method"] for m in methods] == ["socialaccount"]
    assert methods[0]["provider"] == "sso" and methods[0]["uid"] == "idp-user-1"
    # allauth links the provider's subject to the account (auto-connect) ...
    account = SocialAccount.objects.get(user=staff)
    assert (account.provider, account.uid) == ("sso", "idp-user-1")
    # ... asking for PKCE (S256) and the openid scope, but sending no nonce.
    (grant,) = idp.grants
    assert grant.code_challenge and grant.code_challenge_method == "S256"
    assert set(grant.scope.split()) == {"openid", "profile", "email"}
    assert grant.nonce is None
    assert idp.token_errors == []


# allauth sends ``authenticator_added`` on commit; only a real commit runs it inside the request
# (as in production), so this test is transactional.
@pytest.mark.django_db(transaction=True)
def test_after_sso_staff_pages_send_a_user_without_totp_to_set_it_up(client, idp, staff):
    sso(client, idp)

    response = client.get(reverse("staff:case_list"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert signed_in_user(client) == staff
    # The sign-in is recent, so allauth lets them set TOTP up without reauthenticating; once
    # set up (staff/signals.py records it as a second factor) the staff pages open.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    done = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.get(reverse("staff:case_list")).status_code == 200


def test_sso_for_a_user_with_totp_stops_at_the_totp_challenge(client, idp, staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = sso(client, idp)

    # allauth's MFA stage applies to social logins too: nobody is signed in yet.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user(client) is None
    done = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert done.status_code == 302
    assert signed_in_user(client) == staff
    methods = [m["method"] for m in client.session["account_authentication_methods"]]
    assert methods == ["socialaccount", "mfa"]
    assert client.get(reverse("staff:case_list")).status_code == 200


def test_a_second_sso_finds_the_account_by_subject_even_if_the_email_changed(client, idp, staff):
    sso(client, idp)
    client.logout()
    idp.identity = Identity(sub="idp-user-1", email="renamed@example.org")

    sso(client, idp)

    assert signed_in_user(client) == staff


def test_first_sso_wipes_the_password_unless_the_email_was_verified_here(
    client, idp, staff, django_user_model
):
    # allauth guards against an account squatting on someone's address: if the matched email
    # is not a verified EmailAddress in allauth's table, the account's password is made
    # unusable on the first sign-in by email.
    other = django_user_model.objects.create_user(
        username="second", email="second@example.org", password="not-used-123!"
    )
    EmailAddress.objects.create(user=other, email="second@example.org", verified=True)

    sso(client, idp)
    staff.refresh_from_db()
    assert not staff.has_usable_password()

    client.logout()
    idp.identity = Identity(sub="idp-user-2", email="second@example.org")
    sso(client, idp)
    assert signed_in_user(client) == other
    other.refresh_from_db()
    assert other.has_usable_password()


def test_the_login_url_asks_for_a_post_before_leaving_for_the_provider(client, idp):
    response = client.get(LOGIN_PATH)

    assert response.status_code == 200
    assert idp.grants == []


# --- 2. no staff account, no sign-in ----------------------------------------------------------


def test_an_identity_without_a_staff_account_is_not_signed_in_and_no_user_is_made(
    client, idp, staff, django_user_model
):
    idp.identity = Identity(sub="stranger", email="stranger@example.org")

    response = sso(client, idp)

    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert signed_in_user(client) is None
    assert django_user_model.objects.count() == 1
    assert not SocialAccount.objects.exists()


def test_an_unverified_email_at_the_provider_does_not_match_a_staff_account(
    client, idp, staff, django_user_model
):
    idp.identity = Identity(sub="idp-user-1", email=EMAIL, email_verified=False)

    sso(client, idp)

    assert signed_in_user(client) is None
    assert django_user_model.objects.count() == 1
    assert not SocialAccount.objects.exists()
    staff.refresh_from_db()
    assert staff.has_usable_password()


def test_an_inactive_staff_account_is_not_signed_in(client, idp, staff):
    staff.is_active = False
    staff.save()

    response = sso(client, idp)

    assert response["Location"] == reverse("account_inactive")
    assert signed_in_user(client) is None
    # allauth still links the identity and wipes the password before it finds the account
    # inactive (the email was not a verified EmailAddress here).
    assert SocialAccount.objects.filter(user=staff).exists()
    staff.refresh_from_db()
    assert not staff.has_usable_password()


# --- 3. broken tokens and flows sign nobody in ------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"iss": "https://evil.example"}, id="wrong-issuer"),
        pytest.param({"aud": "someone-else"}, id="wrong-audience"),
        pytest.param({"exp": 1_000_000}, id="expired"),
    ],
)
def test_an_id_token_with_wrong_claims_signs_nobody_in(client, idp, staff, claims):
    idp.id_token_claims = claims

    response = sso(client, idp)

    assert idp.token_errors == []  # the exchange went through; the ID token was refused
    assert response.status_code == 401  # allauth's authentication error page
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()


def test_a_wrong_pkce_verifier_signs_nobody_in(client, idp, staff):
    idp.reject_pkce = True

    sso(client, idp)

    assert idp.token_errors == ["invalid_grant"]
    assert signed_in_user(client) is None


def test_a_wrong_client_secret_signs_nobody_in(client, idp, staff, settings):
    settings.SOCIALACCOUNT_PROVIDERS = sso_settings(idp.url, secret="wrong")

    sso(client, idp)

    assert idp.token_errors == ["invalid_client"]
    assert signed_in_user(client) is None


def test_a_callback_with_a_forged_state_signs_nobody_in(client, idp, staff):
    callback = idp.authorize(start_sso(client, idp))
    query = parse_qs(urlsplit(callback).query)
    forged = f"{CALLBACK_PATH}?code={query['code'][0]}&state=forged"

    assert refused(client, forged)
    assert signed_in_user(client) is None
    assert idp.token_requests == []  # the code is never even exchanged


def test_a_callback_from_another_browser_signs_nobody_in(client, idp, staff):
    callback = idp.authorize(start_sso(client, idp))

    other = Client()
    assert refused(other, to_local(callback))

    assert signed_in_user(other) is None
    assert idp.token_requests == []


def test_a_replayed_callback_signs_nobody_in(client, idp, staff):
    callback = idp.authorize(start_sso(client, idp))
    client.get(to_local(callback))
    client.logout()

    assert refused(client, to_local(callback))

    assert signed_in_user(client) is None
    assert len(idp.token_requests) == 1


def test_an_id_token_signed_with_another_key_is_accepted_from_the_token_endpoint(
    client, idp, staff
):
    # allauth does not check the ID token's signature when it got the token itself from the
    # token endpoint (OIDC Core 3.1.3.7: the TLS channel authenticates it); the client secret
    # and PKCE (tested above) protect that exchange. So server_url must be https in production.
    idp.sign_with_foreign_key = True

    sso(client, idp)

    assert signed_in_user(client) == staff


def test_a_nonce_in_the_id_token_is_not_checked(client, idp, staff):
    # allauth sends no nonce and checks none; state (bound to the session) and PKCE prevent
    # code injection instead (tested above).
    idp.id_token_claims = {"nonce": "not-the-one-we-sent"}

    sso(client, idp)

    assert signed_in_user(client) == staff


# --- 4. without configuration there is no single sign-on --------------------------------------


def test_without_sso_configured_the_login_url_is_not_found(client, settings, staff):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    assert client.get(LOGIN_PATH).status_code == 404
    assert client.post(LOGIN_PATH).status_code == 404
    assert client.get(f"{CALLBACK_PATH}?code=x&state=y").status_code == 404
    assert signed_in_user(client) is None
