"""The cache layer: every call bounded in time, a breaker that spares requests the wait once
the cache has failed, and an outage that answers "try again shortly", never a 500."""

import threading
import time

import pytest
from django.core.cache import cache

from ops.cache import COOLDOWN_SECONDS, SOCKET_TIMEOUT, Breaker, CacheUnavailable
from tests.ops.redis_server import use_cache_at


def _timed(call):
    started = time.monotonic()
    try:
        call()
    except CacheUnavailable:
        return time.monotonic() - started, True
    return time.monotonic() - started, False


def test_the_cache_works_through_the_layer(own_redis):
    cache.set("speakup:test", 41, timeout=10)
    assert cache.incr("speakup:test") == 42
    assert cache.add("speakup:test", 0) is False
    with pytest.raises(ValueError):
        cache.incr("speakup:missing")  # a missing key is not an outage


@pytest.mark.slow  # waits out real timeouts: wall-clock time, not work
def test_a_hung_cache_costs_one_short_timeout_then_fails_at_once(own_redis):
    assert cache.get("speakup:test") is None
    own_redis.hang()
    first, failed = _timed(lambda: cache.get("speakup:test"))
    assert failed and SOCKET_TIMEOUT * 0.8 < first < SOCKET_TIMEOUT + 1.5
    for _ in range(20):
        elapsed, failed = _timed(lambda: cache.incr("speakup:test"))
        assert failed and elapsed < 0.05


def test_a_cache_that_is_down_fails_at_once(cache_down):
    elapsed, failed = _timed(lambda: cache.get("speakup:test"))
    assert failed and elapsed < 0.5


@pytest.mark.slow  # waits out real timeouts: wall-clock time, not work
def test_the_breaker_lets_one_trial_through_after_the_cooldown_and_closes_on_success(
    own_redis, settings
):
    use_cache_at(settings, own_redis.url, COOLDOWN=0.3)
    own_redis.hang()
    assert _timed(lambda: cache.get("k"))[1]
    own_redis.resume()
    assert _timed(lambda: cache.get("k"))[1]  # still open: fails without asking
    time.sleep(0.35)
    assert cache.get("k") is None  # the trial succeeds and closes it
    assert cache.add("k", 1) is True


@pytest.mark.slow  # waits out real timeouts: wall-clock time, not work
def test_threads_share_one_breaker(own_redis):
    own_redis.hang()
    assert _timed(lambda: cache.get("k"))[1]
    results = []

    def other_thread():
        from django.core.cache import cache as its_cache  # a cache object of its own

        results.append(_timed(lambda: its_cache.get("k")))

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    elapsed, failed = results[0]
    assert failed and elapsed < 0.05


def test_the_breaker_claims_the_trial_so_the_others_do_not_wait():
    breaker = Breaker(cooldown=0.05)
    breaker.failed()
    with pytest.raises(CacheUnavailable):
        breaker.before_call()
    time.sleep(0.06)
    breaker.before_call()  # this call is the trial...
    with pytest.raises(CacheUnavailable):
        breaker.before_call()  # ...and the next one, during it, fails at once
    breaker.succeeded()
    breaker.before_call()
    assert not breaker.is_open
    assert COOLDOWN_SECONDS >= 1  # a real outage is not retried on every request


@pytest.mark.django_db
def test_health_reports_a_cache_that_is_down(client, cache_down):
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["cache"] == "down" and answer.json()["database"] == "ok"


@pytest.mark.django_db
@pytest.mark.slow  # waits out real timeouts: wall-clock time, not work
def test_health_reports_a_cache_that_hangs(client, own_redis):
    assert client.get("/healthz").json()["cache"] == "ok"
    own_redis.hang()
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json()["cache"] == "down"


@pytest.mark.django_db
def test_staff_sign_in_with_the_cache_down_says_try_again_not_500(
    django_user_model, cache_down, caplog
):
    from django.test import Client

    django_user_model.objects.create_user(username="handler", password="a-long-password-1")
    browser = Client(raise_request_exception=False)
    assert browser.get("/accounts/login/").status_code == 200
    answer = browser.post("/accounts/login/", {"login": "handler", "password": "a-long-password-1"})
    assert answer.status_code == 503
    assert "Sorry, the service is unavailable" in answer.content.decode()
    assert answer["Retry-After"] == "30"
    assert "_auth_user_id" not in browser.session  # nobody was signed in unthrottled
    # An outage, not a crash: no traceback logged as an internal server error.
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
