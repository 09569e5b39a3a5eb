"""With the cache down or hung, reports are still taken and nobody waits, but token guesses
are refused with "try again shortly": unthrottled guessing is not safe."""

import re
import time

import pytest

from cases.models import Case
from intake.followup import COOKIE
from tests.builders import make_case
from tests.intake.conftest import answers

SEND = "/report/whistleblowing/send/"


def _token(response) -> str:
    return re.search(rb'id="token">([0-9A-Z-]+)<', response.content).group(1).decode()


def test_with_the_cache_down_reports_go_on_and_token_guesses_wait(
    client, whistleblowing, cache_down
):
    sent = client.post(SEND, answers(whistleblowing))
    assert sent.status_code == 200
    token = _token(sent)
    guess = client.post("/follow-up/", {"token": token})
    assert guess.status_code == 503 and COOKIE not in guess.cookies
    assert guess["Retry-After"] == "30"
    text = guess.content.decode()
    assert "We cannot check case tokens just now. Try again in a minute." in text
    assert "There is a problem" in text  # a GOV.UK error summary, the form still there
    assert 'name="token"' in text
    assert Case.objects.count() == 1


def test_a_follow_up_already_started_carries_on_without_the_cache(client, whistleblowing, settings):
    _, token = make_case(case_type=whistleblowing, with_token=True)
    assert client.post("/follow-up/", {"token": token}).status_code == 302
    from tests.ops.redis_server import use_cache_at

    use_cache_at(settings, "redis://127.0.0.1:1/0")
    page = client.get("/follow-up/case/")
    assert page.status_code == 200
    form_key = re.search(r'name="form_key" value="([^"]+)"', page.content.decode()).group(1)
    reply = client.post("/follow-up/reply/", {"body": "Still here.", "form_key": form_key})
    assert reply.status_code == 302


@pytest.mark.slow  # waits out real timeouts: wall-clock time, not work
def test_a_hung_cache_holds_no_reporter_request(client, whistleblowing, own_redis):
    own_redis.hang()
    started = time.monotonic()
    sent = client.post(SEND, answers(whistleblowing))
    took_to_send = time.monotonic() - started
    assert sent.status_code == 200
    started = time.monotonic()
    for _ in range(3):
        guess = client.post("/follow-up/", {"token": "wrong"})
        assert guess.status_code == 503
    took_to_guess = time.monotonic() - started
    # One short socket timeout at most, then the breaker answers at once (a hung cache used
    # to hold a send for 20 s and a wrong token for 30 s). Generous: the machine may be busy.
    assert took_to_send < 5.0, took_to_send
    assert took_to_guess < 3.0, took_to_guess
    own_redis.resume()


@pytest.mark.slow  # waits out real timeouts: wall-clock time, not work
def test_once_the_cache_answers_again_guesses_are_answered_again(
    client, whistleblowing, own_redis, settings
):
    from tests.ops.redis_server import use_cache_at

    use_cache_at(settings, own_redis.url, COOLDOWN=0.2)
    own_redis.hang()
    assert client.post("/follow-up/", {"token": "wrong"}).status_code == 503
    own_redis.resume()
    time.sleep(0.3)
    assert client.post("/follow-up/", {"token": "wrong"}).status_code == 404
