"""E-mail: SMTP by environment in production (Django 6.1's MAILERS), a file per message in
development, and a mail server that is down never turns a password reset into an error."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from tests.config.test_settings import PRODUCTION, refusal_under, settings_under

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def staff(db):
    return User.objects.create_user(
        username="handler", email="handler@example.org", password="a-long-password-1"
    )


class _Sink(socketserver.StreamRequestHandler):
    """Just enough SMTP to take one message (no TLS, no authentication)."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = b""
                while not body.endswith(b"\r\n.\r\n"):
                    body += self.rfile.readline()
                self.server.messages.append(body.decode())  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_sink() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Sink)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _smtp(port: int) -> dict[str, object]:
    return {
        "default": {
            "BACKEND": SMTP,
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }


def test_a_password_reset_goes_out_through_smtp(client, staff, settings, smtp_sink):
    settings.MAILERS = _smtp(smtp_sink.server_address[1])
    answer = client.post("/accounts/password/reset/", {"email": "handler@example.org"})
    assert answer.status_code == 302
    (message,) = smtp_sink.messages
    assert "handler@example.org" in message and "/accounts/password/reset/key/" in message


def test_a_mail_server_that_is_down_does_not_break_the_password_reset(
    client, staff, settings, caplog
):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = _smtp(port)
    answer = client.post("/accounts/password/reset/", {"email": "handler@example.org"})
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/password/reset/done/"
    warnings = [r.getMessage() for r in caplog.records if "could not be sent" in r.getMessage()]
    assert warnings and not any("handler@example.org" in w for w in warnings)


def test_production_sends_through_the_configured_smtp_server(tmp_path):
    from django.core.checks import run_checks
    from django.test import override_settings

    values = settings_under({**PRODUCTION, "SPEAKUP_SMTP_SECURITY": "tls"}, tmp_path)
    mailer = values["MAILERS"]["default"]
    assert mailer["BACKEND"] == SMTP
    assert mailer["OPTIONS"]["host"] == "smtp.example.org" and mailer["OPTIONS"]["port"] == 465
    assert mailer["OPTIONS"]["use_ssl"] is True and mailer["OPTIONS"]["use_tls"] is False
    assert values["DEFAULT_FROM_EMAIL"] == "speak-up@example.org"
    # Django's deployment check refuses a development mailer (mail.E001); this one passes.
    with override_settings(MAILERS=values["MAILERS"]):
        assert run_checks(tags=["mail"], include_deployment_checks=True) == []


def test_an_unknown_smtp_security_is_refused(tmp_path):
    env = {**PRODUCTION, "SPEAKUP_SMTP_SECURITY": "maybe"}
    assert "SPEAKUP_SMTP_SECURITY" in refusal_under(env, tmp_path)


def test_development_writes_each_message_to_a_file(tmp_path):
    mailer = settings_under({"SPEAKUP_DEV": "true"}, tmp_path)["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert mailer["OPTIONS"]["file_path"] == str(tmp_path / "mail")
