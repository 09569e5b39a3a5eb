"""Behind a reverse proxy with no proxy trusted, every client would share one throttle bucket:
a forwarding header arriving then is logged (without any address) and fails the deploy
check."""

import logging

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory

from ops import clients
from ops.checks import check_trusted_proxies
from ops.clients import client_key

PROXY = "10.0.0.2"
BEHIND = [{"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"} for n in (7, 8)]


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    cache.clear()
    monkeypatch.setattr(clients, "_last_warned", 0.0)
    yield
    cache.clear()


def _key(**meta):
    return client_key(RequestFactory().get("/", **meta))


def test_untrusted_forwarding_is_logged_once_without_any_address(settings, caplog):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    caplog.set_level(logging.WARNING, logger="speakup.clients")
    keys = {_key(**client) for client in BEHIND * 3}
    assert len(keys) == 1  # the mistake: everyone behind the proxy is one client
    warnings = [r.getMessage() for r in caplog.records if r.name == "speakup.clients"]
    assert len(warnings) == 1
    assert "SPEAKUP_TRUSTED_PROXY_COUNT is 0" in warnings[0]
    assert PROXY not in warnings[0] and "198.51.100" not in warnings[0]


def test_the_deploy_check_fails_once_forwarding_was_seen(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # as in production
    assert [m.id for m in check_trusted_proxies()] == ["ops.W001"]
    _key(**BEHIND[0])
    found = check_trusted_proxies()
    assert [m.id for m in found] == ["ops.E001"]
    assert "SPEAKUP_TRUSTED_PROXY_COUNT" in str(found[0].hint)
    with pytest.raises(SystemCheckError, match=r"ops\.E001"):
        call_command("check", "--deploy", "--tag", "security")


def test_no_warning_without_a_proxy_in_front_in_development(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.SECURE_PROXY_SSL_HEADER = None
    _key(REMOTE_ADDR="198.51.100.7")
    assert check_trusted_proxies() == []


def test_with_the_proxy_trusted_clients_behind_it_are_told_apart(settings, caplog):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    caplog.set_level(logging.WARNING, logger="speakup.clients")
    assert len({_key(**client) for client in BEHIND}) == 2
    assert not [r for r in caplog.records if r.name == "speakup.clients"]
    assert check_trusted_proxies() == []


def test_fewer_forwarded_addresses_than_trusted_proxies_is_no_500(settings, client, db):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert _key(**BEHIND[0]) == _key(REMOTE_ADDR=PROXY)  # only the peer is certain
    assert client.get("/", **BEHIND[0]).status_code == 200
