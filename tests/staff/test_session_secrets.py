"""A second factor's secret being set up waits in the session sealed, never in clear in the
sessions table (staff/sessions.py): on the first sign-in's set-up page and on the account
page's replacement, over HTTP; and a session row holding one that cannot be opened loses it."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as PlainStore
from django.contrib.sessions.models import Session

from staff.mfa import PREFIX
from staff.sessions import SessionStore
from tests.conftest import totp_code

PASSWORD = "a-long-password-1"


def _stored(client) -> dict[str, Any]:
    """The session as its row holds it, read without opening anything."""
    row = Session.objects.get(session_key=client.session.session_key)
    return PlainStore().decode(row.session_data)


def _shown(page) -> str:
    """The secret the page shows for typing in by hand (in groups of four)."""
    found = re.search(r'class="staff-secret">([A-Z2-7 ]+)<', page.content.decode())
    assert found, "the page shows the secret"
    return found.group(1).replace(" ", "")


def test_the_first_sign_ins_secret_is_sealed_in_the_sessions_table_and_still_works(client, db):
    User.objects.create_user(username="new", password=PASSWORD)
    client.post("/accounts/login/", {"login": "new", "password": PASSWORD})
    page = client.get("/accounts/2fa/enrol/")
    secret = client.session["mfa.totp.secret"]

    stored = _stored(client)["mfa.totp.secret"]
    assert stored.startswith(PREFIX) and secret not in stored
    assert secret not in Session.objects.get(session_key=client.session.session_key).session_data
    assert _shown(page) == secret
    done = client.post("/accounts/2fa/enrol/", {"code": totp_code(secret)})
    assert done.status_code == 302 and "mfa.totp.secret" not in _stored(client)


def test_the_replacement_secret_is_sealed_too(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    client.get("/staff/account/")
    secret = client.session["staff.totp.new"]
    stored = _stored(client)["staff.totp.new"]
    assert stored.startswith(PREFIX) and secret not in stored


def test_a_secret_that_cannot_be_opened_is_dropped_and_the_rest_kept(db):
    session = PlainStore()
    session["mfa.totp.secret"] = "JBSWY3DPEHPK3PXP"  # in clear, as before sealing
    session["staff.totp.new"] = PREFIX + "retired-key:AAAA"  # under a key no longer held
    session["kept"] = "value"
    session.save()
    opened = SessionStore(session_key=session.session_key)
    assert dict(opened.items()) == {"kept": "value"}
