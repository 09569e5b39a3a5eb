"""Single sign-on with OpenID Connect works by configuration alone, against a stub provider
that runs inside the test (tests/staff/oidc_stub.py); nothing reaches the internet.

Only staff whose identity at the provider has been linked to their account by themselves
(signed in with both factors, asked for the second factor again, audited) sign in; a matching
e-mail address links nothing. Every broken step fails closed, and the second factor is still
asked for after single sign-on (or set up, inside the sign-in flow, if there is none).
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


@pytest.fixture
def linked(staff):
    """The staff account with its identity at the provider linked and a second factor."""
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    SocialAccount.objects.create(user=staff, provider="sso", uid="idp-user-1")
    return type("Linked", (), {"user": staff, "secret": secret})


def no_login_pending(client: Client) -> bool:
    """True if no sign-in is half-way (waiting at the second factor) in this browser."""
    return client.get(reverse("mfa_authenticate"))["Location"] == reverse("account_login")


def finish_second_factor(client: Client, response, secret: str):
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user(client) is None
    return client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})


# --- 1. a linked staff account signs in, with its second factor --------------------------------


def test_a_linked_identity_stops_at_the_second_factor_then_signs_in(client, idp, linked):
    response = sso(client, idp)

    # allauth's MFA stage applies to social logins too: nobody is signed in yet.
    done = finish_second_factor(client, response, linked.secret)
    assert done.status_code == 302
    assert signed_in_user(client) == linked.user
    methods = client.session["account_authentication_methods"]
    assert [m["method"] for m in methods] == ["socialaccount", "mfa"]
    assert methods[0]["provider"] == "sso" and methods[0]["uid"] == "idp-user-1"
    assert client.get(reverse("staff:case_list")).status_code == 200
    # PKCE (S256) and the openid scope are asked for; no nonce is sent.
    (grant,) = idp.grants
    assert grant.code_challenge and grant.code_challenge_method == "S256"
    assert set(grant.scope.split()) == {"openid", "profile", "email"}
    assert grant.nonce is None
    assert idp.token_errors == []


def test_a_linked_account_is_found_by_subject_even_if_the_email_changed(client, idp, linked):
    idp.identity = Identity(sub="idp-user-1", email="renamed@example.org")

    finish_second_factor(client, sso(client, idp), linked.secret)

    assert signed_in_user(client) == linked.user


@pytest.mark.slow
# allauth sends ``authenticator_added`` on commit; a real commit runs it inside the request.
@pytest.mark.django_db(transaction=True)
def test_a_linked_account_without_a_second_factor_sets_it_up_before_it_is_signed_in(
    client, idp, staff
):
    SocialAccount.objects.create(user=staff, provider="sso", uid="idp-user-1")

    response = sso(client, idp)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff_enrol")
    assert signed_in_user(client) is None
    assert client.get(reverse("staff:case_list"))["Location"].startswith("/accounts/login/")
    page = client.get(reverse("staff_enrol"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    done = client.post(reverse("staff_enrol"), {"code": totp_code(secret)})
    assert done.status_code == 302
    assert signed_in_user(client) == staff
    assert client.get(reverse("staff:case_list")).status_code == 200


def test_linking_is_an_explicit_audited_step_that_asks_for_the_second_factor(
    client, idp, staff, sign_in
):
    from permissions.models import StaffEvent

    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    sign_in(staff)  # password and second factor, some time ago

    response = client.post(LOGIN_PATH, {"process": "connect"})
    callback = client.get(to_local(idp.authorize(response["Location"])))

    # Linking asks again who it is: with the second factor, never the password alone ...
    assert callback.status_code == 302
    assert callback["Location"] == reverse("account_reauthenticate")
    by_password = client.post(reverse("account_reauthenticate"), {"password": "not-used-123!"})
    assert by_password["Location"].startswith(reverse("mfa_reauthenticate"))
    assert not SocialAccount.objects.exists()
    client.post(reverse("mfa_reauthenticate"), {"code": totp_code(secret)})
    # ... and then links the identity to the account that asked, and records it.
    account = SocialAccount.objects.get()
    assert (account.user, account.provider, account.uid) == (staff, "sso", "idp-user-1")
    assert StaffEvent.objects.filter(code="sso.linked", user=staff).count() == 1


def test_the_login_url_asks_for_a_post_before_leaving_for_the_provider(client, idp):
    response = client.get(LOGIN_PATH)

    assert response.status_code == 200
    assert idp.grants == []


def test_a_provider_stored_in_the_database_is_never_used(client, settings, staff):
    from allauth.socialaccount.models import SocialApp

    settings.SOCIALACCOUNT_PROVIDERS = {}
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="sso",
        name="Planted",
        client_id="planted",
        secret="planted",
        settings={"server_url": "http://127.0.0.1:9/"},
    )

    assert client.post(LOGIN_PATH).status_code == 404
    assert client.get(f"{CALLBACK_PATH}?code=x&state=y").status_code == 404


# --- 2. no link, no sign-in -------------------------------------------------------------------


def test_a_matching_verified_email_links_nothing_and_signs_nobody_in(client, idp, staff):
    # The provider asserts the staff member's own, verified address: that alone is not
    # enough. The identity must first be linked by the account's owner.
    EmailAddress.objects.create(user=staff, email=EMAIL, verified=True, primary=True)

    response = sso(client, idp)

    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()
    staff.refresh_from_db()
    assert staff.has_usable_password()


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


def test_an_inactive_linked_account_is_not_signed_in(client, idp, linked):
    linked.user.is_active = False
    linked.user.save()

    response = sso(client, idp)

    assert response["Location"] == reverse("account_inactive")
    assert signed_in_user(client) is None


# --- 3. broken tokens and flows sign nobody in ------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"iss": "https://evil.example"}, id="wrong-issuer"),
        pytest.param({"aud": "someone-else"}, id="wrong-audience"),
        pytest.param({"exp": 1_000_000}, id="expired"),
    ],
)
def test_an_id_token_with_wrong_claims_signs_nobody_in(client, idp, linked, claims):
    idp.id_token_claims = claims

    response = sso(client, idp)

    assert idp.token_errors == []  # the exchange went through; the ID token was refused
    assert response.status_code == 401  # allauth's authentication error page
    assert signed_in_user(client) is None
    assert no_login_pending(client)


def test_a_wrong_pkce_verifier_signs_nobody_in(client, idp, linked):
    idp.reject_pkce = True

    sso(client, idp)

    assert idp.token_errors == ["invalid_grant"]
    assert signed_in_user(client) is None
    assert no_login_pending(client)


def test_a_wrong_client_secret_signs_nobody_in(client, idp, linked, settings):
    settings.SOCIALACCOUNT_PROVIDERS = sso_settings(idp.url, secret="wrong")

    sso(client, idp)

    assert idp.token_errors == ["invalid_client"]
    assert signed_in_user(client) is None
    assert no_login_pending(client)


def test_a_callback_with_a_forged_state_signs_nobody_in(client, idp, linked):
    callback = idp.authorize(start_sso(client, idp))
    query = parse_qs(urlsplit(callback).query)
    forged = f"{CALLBACK_PATH}?code={query['code'][0]}&state=forged"

    assert refused(client, forged)
    assert signed_in_user(client) is None
    assert no_login_pending(client)
    assert idp.token_requests == []  # the code is never even exchanged


def test_a_callback_from_another_browser_signs_nobody_in(client, idp, linked):
    callback = idp.authorize(start_sso(client, idp))

    other = Client()
    assert refused(other, to_local(callback))

    assert signed_in_user(other) is None
    assert idp.token_requests == []


def test_a_replayed_callback_signs_nobody_in(client, idp, linked):
    callback = idp.authorize(start_sso(client, idp))
    client.get(to_local(callback))
    client.logout()

    assert refused(client, to_local(callback))

    assert signed_in_user(client) is None
    assert no_login_pending(client)
    assert len(idp.token_requests) == 1


def test_an_id_token_signed_with_another_key_is_accepted_from_the_token_endpoint(
    client, idp, linked
):
    # allauth does not check the ID token's signature when it got the token itself from the
    # token endpoint (OIDC Core 3.1.3.7: the TLS channel authenticates it); the client secret
    # and PKCE (tested above) protect that exchange. So server_url must be https in production.
    idp.sign_with_foreign_key = True

    finish_second_factor(client, sso(client, idp), linked.secret)

    assert signed_in_user(client) == linked.user


def test_a_nonce_in_the_id_token_is_not_checked(client, idp, linked):
    # allauth sends no nonce and checks none; state (bound to the session) and PKCE prevent
    # code injection instead (tested above).
    idp.id_token_claims = {"nonce": "not-the-one-we-sent"}

    finish_second_factor(client, sso(client, idp), linked.secret)

    assert signed_in_user(client) == linked.user


# --- 4. without configuration there is no single sign-on --------------------------------------


def test_without_sso_configured_the_login_url_is_not_found(client, settings, staff):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    assert client.get(LOGIN_PATH).status_code == 404
    assert client.post(LOGIN_PATH).status_code == 404
    assert client.get(f"{CALLBACK_PATH}?code=x&state=y").status_code == 404
    assert signed_in_user(client) is None
