"""The follow-up cookie and the token page's "show again" are sealed under keys derived from
the master keys, one per use, never from SECRET_KEY; rotating the master keys rotates them."""

import base64
import json
import os
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from intake.followup import COOKIE
from intake.sealing import FOLLOW_UP, SHOW_AGAIN, seal, unseal
from tests.builders import make_case

K1 = base64.b64encode(b"1" * 32).decode()
K2 = base64.b64encode(b"2" * 32).decode()


def _use_keys(settings, active: str, **keys: str) -> None:
    """These master keys beside the development key that wraps the test cases' data keys."""
    from django.conf import settings as current

    development = {k: v for k, v in current.SPEAKUP_MASTER_KEYS.items() if k.startswith("dev")}
    settings.SPEAKUP_MASTER_KEYS = {
        **development,
        **{k: base64.b64decode(v) for k, v in keys.items()},
    }
    settings.SPEAKUP_ACTIVE_MASTER_KEY = active


def _start(client, token):
    answer = client.post("/follow-up/", {"token": token})
    assert answer.status_code == 302
    return answer.cookies[COOKIE].value


def test_the_follow_up_cookie_survives_rotation_and_ends_with_the_retired_key(
    client, whistleblowing, settings
):
    _, token = make_case(case_type=whistleblowing, with_token=True)
    _use_keys(settings, "k1", k1=K1)
    first = _start(client, token)
    assert first.startswith("k1.")
    # Step 2 of the rotation: a new active key beside the old one.
    _use_keys(settings, "k2", k1=K1, k2=K2)
    page = client.get("/follow-up/case/")
    assert page.status_code == 200
    resealed = page.cookies[COOKIE].value
    assert resealed.startswith("k2.")  # re-sealed under the new key
    # Step 4: the old key is removed. A cookie still sealed under it no longer opens...
    _use_keys(settings, "k2", k2=K2)
    client.cookies[COOKIE] = first
    assert client.get("/follow-up/case/").status_code == 403
    # ...while the one re-sealed under the new key does.
    client.cookies[COOKIE] = resealed
    assert client.get("/follow-up/case/").status_code == 200


def test_secret_key_neither_opens_nor_forges_a_follow_up_cookie(client, whistleblowing, settings):
    case, token = make_case(case_type=whistleblowing, with_token=True)
    # A cookie made the way it used to be, under a key derived from SECRET_KEY alone.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"speakup/follow-up/v1")
    old_key = AESGCM(hkdf.derive(settings.SECRET_KEY.encode()))
    payload = {"c": str(case.pk), "k": "form-key", "s": time.time(), "e": time.time() + 600}
    nonce = os.urandom(12)
    blob = nonce + old_key.encrypt(nonce, json.dumps(payload).encode(), COOKIE.encode())
    client.cookies[COOKIE] = base64.urlsafe_b64encode(blob).decode()
    assert client.get("/follow-up/case/").status_code == 403
    # Changing SECRET_KEY does not end a follow-up, since the cookie does not depend on it.
    _start(client, token)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert client.get("/follow-up/case/").status_code == 200


def test_each_use_has_its_own_key(settings):
    sealed = seal(FOLLOW_UP, {"c": "x"})
    assert unseal(FOLLOW_UP, sealed) == {"c": "x"}
    assert unseal(SHOW_AGAIN, sealed) is None
    key_id, _, body = sealed.partition(".")
    assert unseal(FOLLOW_UP, f"{key_id}.{body[:-4]}AAAA") is None
    assert unseal(FOLLOW_UP, f"nokey.{body}") is None
    assert unseal(FOLLOW_UP, "not sealed at all") is None
