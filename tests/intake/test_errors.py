"""Reporter-side error pages (400, 403, 404, 500, 503) are reporter pages, with the same
headers as every other: no-store, no-referrer and the strict Content Security Policy."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.intake.conftest import answers


def assert_reporter_headers(answer):
    # Plain strings only: a WSGI server refuses anything else (a str subclass included).
    assert all(type(name) is str for name in answer.headers), list(answer.headers)
    assert answer["Referrer-Policy"] == "no-referrer"
    assert "no-store" in answer["Cache-Control"]
    csp = answer["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "Speak Up" in answer.content.decode()  # the reporter layout, not a bare page


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def test_not_found(visitor, whistleblowing):
    for path in ("/no-such-page/", "/report/no-such-kind/", "/logo"):
        answer = visitor.get(path)
        assert answer.status_code == 404, path
        assert_reporter_headers(answer)
        assert "Page not found" in answer.content.decode()


def test_bad_request(visitor, whistleblowing):
    answer = visitor.get("/", HTTP_HOST="not-our-host.example")
    assert answer.status_code == 400
    assert_reporter_headers(answer)
    assert "Something you sent could not be read" in answer.content.decode()


def test_forbidden(visitor, whistleblowing):
    answer = visitor.post(
        "/report/whistleblowing/send/", answers(whistleblowing), HTTP_ORIGIN="https://evil.example"
    )
    assert answer.status_code == 403
    assert_reporter_headers(answer)


def test_server_error(visitor, whistleblowing, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("intake.views.support_list_for", broken)
    answer = visitor.get("/")
    assert answer.status_code == 500
    assert_reporter_headers(answer)
    assert "Sorry, there is a problem with the service" in answer.content.decode()
    assert "a bug" not in answer.content.decode()


@pytest.fixture
def database():
    """``database.down = True`` makes every query fail as if the server had gone."""
    state = type("Database", (), {"down": False})()

    def fail(execute, sql, params, many, context):
        if state.down:
            raise OperationalError("could not connect to server")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield state


def test_a_database_outage_says_try_again_shortly_and_keeps_what_was_typed(
    client, whistleblowing, database
):
    typed = answers(whistleblowing, what_happened="Invoices <b>skip</b> checks.")
    database.down = True
    page = client.get("/")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert_reporter_headers(page)
    assert "Try again in a minute" in page.content.decode()
    answer = client.post("/report/whistleblowing/", typed)
    assert answer.status_code == 503
    assert_reporter_headers(answer)
    text = answer.content.decode()
    assert 'action="/report/whistleblowing/"' in text and "Try again" in text
    assert 'name="what_happened" value="Invoices &lt;b&gt;skip&lt;/b&gt; checks."' in text
    assert 'name="submission_key" value="' + "k" * 32 + '"' in text


def test_staff_paths_keep_their_own_error_pages(visitor, db):
    answer = visitor.get("/accounts/no-such-page/")
    assert answer.status_code == 404
    assert answer.get("Referrer-Policy") != "no-referrer"
    assert "Raise a concern" not in answer.content.decode()
