"""Staff sign-in: two factors, throttling, identical failures, session lifetimes; the pages
as a person meets them (issue 15, section 6): GOV.UK forms with an error summary linked to the
field, distinct titles, a numeric keypad for codes; after an idle sign-out, back to the page
they were on; and the idle warning's "Stay signed in"."""

import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from tests.conftest import TOTP_SECRET, totp_code

LOGIN = "/accounts/login/"
PASSWORD = "a-long-password-1"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def handler(db):
    user = User.objects.create_user(username="handler", password=PASSWORD)
    TOTP.activate(user, TOTP_SECRET)
    return user


def _error_text(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for e in form.non_field_errors())


def test_unknown_user_and_wrong_password_get_identical_answers(client, handler):
    unknown = client.post(LOGIN, {"login": "nobody", "password": "whatever-123"})
    wrong = client.post(LOGIN, {"login": "handler", "password": "whatever-123"})
    assert unknown.status_code == wrong.status_code == 200
    assert _error_text(unknown) == _error_text(wrong) != ""


def test_five_failures_in_a_minute_throttle_the_account(client, handler):
    for _ in range(5):
        assert (
            client.post(LOGIN, {"login": "handler", "password": "wrong-password"}).status_code
            == 200
        )
    # The right password now gets no further: no second-factor step, no session.
    throttled = client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    assert throttled.status_code in (200, 429)
    if throttled.status_code == 200:
        assert "Too many failed login attempts" in _error_text(throttled)
    assert "_auth_user_id" not in client.session
    # Another account from the same office is not locked out by it.
    User.objects.create_user(username="colleague", password=PASSWORD)
    assert client.post(LOGIN, {"login": "colleague", "password": PASSWORD}).status_code == 302


def test_throttle_keys_hold_no_client_address(client, handler):
    for _ in range(3):
        client.post(
            LOGIN,
            {"login": "handler", "password": "wrong"},
            REMOTE_ADDR="203.0.113.77",
            HTTP_X_FORWARDED_FOR="203.0.113.77",
        )
    keys = list(cache._cache.keys())  # type: ignore[attr-defined]  # LocMemCache's store
    assert keys, "the throttle wrote nothing"
    assert not any("203.0.113.77" in key for key in keys)


def test_sign_in_needs_the_second_factor_and_rotates_the_session(client, handler):
    client.get(LOGIN)
    before = client.session.session_key
    step = client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    assert step.status_code == 302 and "/2fa/authenticate" in step["Location"]
    assert "_auth_user_id" not in client.session
    done = client.post(step["Location"], {"code": totp_code()})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(handler.pk)
    assert client.session.session_key != before
    assert client.get("/staff/cases/").status_code == 200


def test_a_totp_code_works_only_once(client, handler):
    code = totp_code()
    step = client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    assert client.post(step["Location"], {"code": code}).status_code == 302
    client.logout()
    step = client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    replay = client.post(step["Location"], {"code": code})
    assert replay.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session


def test_a_totp_code_sent_twice_in_parallel_succeeds_once(handler):
    authenticator = Authenticator.objects.get(user=handler, type=Authenticator.Type.TOTP)
    code, results, start = totp_code(), [], threading.Barrier(8)

    def attempt():
        start.wait()
        results.append(TOTP(authenticator).validate_code(code))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_a_new_account_sets_up_its_second_factor_inside_the_sign_in(client, db):
    from permissions.models import StaffEvent

    user = User.objects.create_user(username="new", password=PASSWORD)
    step = client.post(LOGIN, {"login": "new", "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == "/accounts/2fa/enrol/"
    # Not signed in yet: no page, not even allauth's own set-up page, is open to this browser.
    assert "_auth_user_id" not in client.session
    for path in ("/staff/cases/", "/admin/", "/accounts/2fa/totp/activate/"):
        assert client.get(path).status_code == 302
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/2fa/enrol/")
    assert page.status_code == 200 and b"<svg" in page.content
    secret = client.session["mfa.totp.secret"]
    wrong = client.post("/accounts/2fa/enrol/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    done = client.post("/accounts/2fa/enrol/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/staff/cases/").status_code == 200
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count() == 1
    assert StaffEvent.objects.filter(code="mfa.enrolled", user=user).count() == 1


def test_the_enrolment_page_is_closed_to_anyone_not_half_way_through_signing_in(
    client, handler, sign_in
):
    assert client.get("/accounts/2fa/enrol/")["Location"] == LOGIN
    sign_in(handler)
    assert client.post("/accounts/2fa/enrol/", {"code": "123456"}).status_code == 302
    assert Authenticator.objects.filter(user=handler).count() == 1


def test_a_password_only_session_is_ended_on_every_page(client, db):
    user = User.objects.create_user(username="new", password=PASSWORD)
    for path in ("/staff/cases/", "/accounts/2fa/totp/activate/", "/accounts/email/", "/"):
        client.force_login(user)  # as Django's own login form would leave it
        client.get(path)
        assert "_auth_user_id" not in client.session, path
    assert not Authenticator.objects.filter(user=user).exists()


def test_a_session_without_the_second_factor_is_sent_back_to_sign_in(client, handler):
    client.force_login(handler)  # password only: no "mfa" record in the session
    answer = client.get("/staff/cases/")
    assert answer.status_code == 302 and answer["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_the_admin_is_behind_the_same_sign_in(client, handler):
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith(LOGIN)
    client.force_login(handler)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("key", "age"), [("staff_seen", 31 * 60), ("staff_started", 12 * 3600 + 1)]
)
def test_sessions_end_after_idle_and_absolute_limits(client, handler, sign_in, key, age):
    sign_in(handler)
    assert client.get("/staff/cases/").status_code == 200
    session = client.session
    session[key] = int(time.time()) - age
    session.save()
    answer = client.get("/staff/cases/")
    assert answer.status_code == 302 and "timed_out" in answer["Location"]
    assert "_auth_user_id" not in client.session


def test_a_disabled_users_sessions_end(client, handler, sign_in):
    sign_in(handler)
    assert client.get("/staff/cases/").status_code == 200
    handler.is_active = False
    handler.save(update_fields=["is_active"])
    answer = client.get("/staff/cases/")
    assert answer.status_code == 302 and answer["Location"].startswith(LOGIN)


def test_nobody_can_sign_up(client, db):
    answer = client.post(
        "/accounts/signup/",
        {
            "username": "intruder",
            "password1": "a-long-password-9",
            "password2": "a-long-password-9",
        },
    )
    assert answer.status_code in (200, 403)
    assert not User.objects.filter(username="intruder").exists()


def test_a_recovery_code_signs_in_once(client, handler):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(handler).get_unused_codes()[0]
    step = client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    assert client.post(step["Location"], {"code": code}).status_code == 302
    client.logout()
    step = client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    assert client.post(step["Location"], {"code": code}).status_code == 200
    assert "_auth_user_id" not in client.session


# --- Throttles by account and client; alerts -----------------------------------------------------


def test_wrong_passwords_from_elsewhere_never_lock_the_owner_out(client, handler):
    from django.test import Client

    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(10):
        attacker.post(LOGIN, {"login": "handler", "password": "wrong-password"})
    # The attacker's own tries are throttled ...
    throttled = attacker.post(LOGIN, {"login": "handler", "password": PASSWORD})
    assert throttled.status_code == 429 or "Too many" in _error_text(throttled)
    # ... but the owner, from their own desk, goes straight on to the second factor.
    owner = Client(REMOTE_ADDR="192.0.2.10")
    step = owner.post(LOGIN, {"login": "handler", "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == "/accounts/2fa/authenticate/"


@pytest.mark.slow
def test_many_failures_from_several_places_raise_one_alert_without_an_address(handler, caplog):
    from django.test import Client

    from permissions.models import StaffEvent

    caplog.set_level("WARNING", logger="speakup.signin")
    for n in range(25):
        Client(REMOTE_ADDR=f"203.0.113.{n % 6 + 1}").post(
            LOGIN, {"login": "handler", "password": f"wrong-pw-{n}"}
        )
    for _ in range(25):
        Client(REMOTE_ADDR="203.0.113.99").post(LOGIN, {"login": "nobody", "password": "x"})
    (event,) = StaffEvent.objects.filter(code="signin.failures")
    assert event.user == handler and event.payload == {"count": 20}
    alerts = [r.getMessage() for r in caplog.records if "failed sign-ins" in r.getMessage()]
    assert len(alerts) == 1 and str(handler.pk) in alerts[0]
    leaks = [r.getMessage() for r in caplog.records if "203.0.113" in r.getMessage()]
    assert leaks == [] and not any("wrong-pw" in r.getMessage() for r in caplog.records)


def test_repeated_wrong_second_factor_codes_raise_one_alert(client, handler, caplog):
    from permissions.models import StaffEvent

    caplog.set_level("WARNING", logger="speakup.signin")
    client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    for code in ("000000", "111111"):
        client.post("/accounts/2fa/authenticate/", {"code": code})
    assert not StaffEvent.objects.filter(code="mfa.failures").exists()
    for code in ("222222", "333333"):
        client.post("/accounts/2fa/authenticate/", {"code": code})
    assert StaffEvent.objects.filter(code="mfa.failures", user=handler).count() == 1
    assert sum("second-factor codes" in r.getMessage() for r in caplog.records) == 1


# --- One's own second factor --------------------------------------------------------------------


def test_replacing_the_authenticator_needs_a_code_from_the_current_one(client, handler, sign_in):
    from permissions.models import StaffEvent

    sign_in(handler)
    page = client.get("/staff/account/")
    assert page.status_code == 200 and b"<svg" in page.content
    new_secret = client.session["staff.totp.new"]
    refused = client.post(
        "/staff/account/", {"current_code": "000000", "code": totp_code(new_secret)}
    )
    assert "current authenticator is not right" in refused.content.decode()
    old = Authenticator.objects.get(user=handler, type=Authenticator.Type.TOTP)
    assert old.wrap().validate_code(totp_code(TOTP_SECRET, -1))  # still the old one
    done = client.post(
        "/staff/account/", {"current_code": totp_code(), "code": totp_code(new_secret)}
    )
    assert done.status_code == 302
    (now,) = Authenticator.objects.filter(user=handler, type=Authenticator.Type.TOTP)
    assert now.pk != old.pk
    # Codes of the old app no longer count (one not yet used, so replay protection is not
    # what refuses it).
    assert not now.wrap().validate_code(totp_code(TOTP_SECRET, 1))
    assert StaffEvent.objects.filter(code="mfa.replaced", user=handler).count() == 1
    assert client.get("/staff/cases/").status_code == 200


def test_a_recovery_code_can_stand_for_the_lost_authenticator(client, handler, sign_in):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(handler).get_unused_codes()[0]
    sign_in(handler)
    client.get("/staff/account/")
    new_secret = client.session["staff.totp.new"]
    done = client.post("/staff/account/", {"current_code": code, "code": totp_code(new_secret)})
    assert done.status_code == 302
    # Used up: it cannot replace the authenticator a second time.
    client.get("/staff/account/")
    again = client.post(
        "/staff/account/",
        {"current_code": code, "code": totp_code(client.session["staff.totp.new"])},
    )
    assert "current authenticator is not right" in again.content.decode()


def test_allauth_cannot_remove_the_authenticator(client, handler, sign_in):
    sign_in(handler)
    client.post("/accounts/2fa/reauthenticate/", {"code": totp_code()})
    client.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=handler, type=Authenticator.Type.TOTP).exists()


def test_asking_again_who_it_is_takes_the_second_factor_never_the_password(
    client, handler, sign_in, django_capture_on_commit_callbacks
):
    from permissions.models import StaffEvent

    sign_in(handler)
    first = client.post("/accounts/2fa/recovery-codes/generate/")
    assert first["Location"].startswith("/accounts/2fa/reauthenticate/")
    by_password = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert by_password["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert client.post("/accounts/2fa/recovery-codes/generate/")["Location"].startswith(
        "/accounts/2fa/reauthenticate/"
    )
    assert not Authenticator.objects.filter(user=handler, type="recovery_codes").exists()
    client.post("/accounts/2fa/reauthenticate/", {"code": totp_code()})
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals on commit
        client.post("/accounts/2fa/recovery-codes/generate/")
    assert Authenticator.objects.filter(user=handler, type="recovery_codes").exists()
    assert StaffEvent.objects.filter(code="mfa.recovery_codes", user=handler).exists()


# --- The pages ---------------------------------------------------------------------------

KEEP = "/accounts/session/keep/"
TITLE = " \N{EN DASH} Speak Up: case work"


def _title(html: str) -> str:
    return re.search(r"<title>\s*(.*?)\s*</title>", html, re.S).group(1)


def _summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    return re.findall(r'<a href="#([^"]+)">\s*(.*?)\s*</a>', summary.group(1)) if summary else []


def test_each_step_has_its_own_title_and_fields_for_the_job(client, handler):
    page = client.get(LOGIN).content.decode()
    assert _title(page) == "Sign in" + TITLE
    assert re.search(r'<input[^>]+id="id_login"[^>]+autocomplete="username"', page)
    assert re.search(r'<input[^>]+id="id_password"[^>]+type="password"', page)
    assert "govuk-error-summary" not in page

    step = client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    page = client.get(step["Location"]).content.decode()
    assert _title(page) == "Enter the code from your authenticator app" + TITLE
    code = re.search(r'<input[^>]+id="id_code"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in code and 'autocomplete="one-time-code"' in code


def test_a_wrong_password_is_summarised_linked_to_the_field_and_the_username_kept(client, handler):
    answer = client.post(LOGIN, {"login": "handler", "password": "not-the-password"})
    page = answer.content.decode()
    assert answer.status_code == 200
    assert _title(page).startswith("Error: Sign in")
    [(target, text)] = _summary_links(page)
    assert target == "id_login" and "not correct" in text
    assert re.search(r'id="id_login"[^>]+value="handler"', page)
    assert "not-the-password" not in page  # a password is never sent back


def test_a_wrong_code_is_an_error_on_the_code_field(client, handler):
    client.post(LOGIN, {"login": "handler", "password": PASSWORD})
    answer = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    page = answer.content.decode()
    assert _title(page).startswith("Error: Enter the code")
    [(target, _)] = _summary_links(page)
    assert target == "id_code"
    assert 'aria-describedby="code-hint code-error"' in page
    assert 'class="govuk-error-message" id="code-error"' in page


def _expire(client: Client) -> None:
    session = client.session
    session["staff_seen"] = int(time.time()) - 31 * 60
    session.save()


def test_after_an_idle_sign_out_sign_in_returns_to_the_page_asked_for(client, handler, sign_in):
    sign_in(handler)
    _expire(client)
    answer = client.get("/staff/cases/?sort=deadline")
    assert answer.status_code == 302
    where = urlsplit(answer["Location"])
    assert where.path == LOGIN
    assert parse_qs(where.query) == {"timed_out": ["1"], "next": ["/staff/cases/?sort=deadline"]}
    page = client.get(answer["Location"]).content.decode()
    assert "You were signed out because you had not done anything for a while" in page

    step = client.post(
        answer["Location"],
        {"login": "handler", "password": PASSWORD, "next": "/staff/cases/?sort=deadline"},
    )
    done = client.post(step["Location"], {"code": totp_code()})
    assert done.status_code == 302 and done["Location"] == "/staff/cases/?sort=deadline"


def test_an_idle_sign_out_on_a_form_post_does_not_return_to_the_forms_address(
    client, handler, sign_in
):
    sign_in(handler)
    _expire(client)
    answer = client.post("/staff/cases/export/")
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer["Location"]).query) == {"timed_out": ["1"]}


def test_sign_in_never_returns_to_another_site(client, handler):
    step = client.post(
        LOGIN, {"login": "handler", "password": PASSWORD, "next": "https://evil.example/"}
    )
    done = client.post(step["Location"], {"code": totp_code()})
    assert done.status_code == 302 and "evil.example" not in done["Location"]


def test_stay_signed_in_counts_as_activity_and_says_when_the_session_has_ended(
    client, handler, sign_in
):
    sign_in(handler)
    session = client.session
    session["staff_seen"] = int(time.time()) - 25 * 60
    session.save()
    assert client.post(KEEP).status_code == 204
    assert int(time.time()) - client.session["staff_seen"] < 5  # moved on
    assert client.get(KEEP).status_code == 405

    _expire(client)
    assert client.post(KEEP).status_code == 401  # ended: the page says so
    assert "_auth_user_id" not in client.session
    assert Client().post(KEEP).status_code == 401


def test_stay_signed_in_needs_the_pages_csrf_token(handler, sign_in):
    browser = Client(enforce_csrf_checks=True)
    sign_in(handler, browser)
    assert browser.post(KEEP).status_code == 403
    page = browser.get("/staff/cases/").content.decode()
    token = re.search(
        r'id="staff-signout">.*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S
    ).group(1)
    assert browser.post(KEEP, headers={"X-CSRFToken": token}).status_code == 204
    body = re.search(r"<body[^>]*>", page).group(0)
    assert 'data-idle-seconds="1800"' in body and f'data-keep-url="{KEEP}"' in body
