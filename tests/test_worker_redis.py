"""Each pytest-xdist worker's Redis database (tests/conftest.py): its own, counting down from
the one given, never database 0."""

import pytest

from tests.conftest import _worker_redis_url

URL = "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize(
    ("worker", "expected"),
    [
        ("", URL),  # one process
        ("gw0", URL),
        ("gw1", "redis://127.0.0.1:6379/14"),
        ("gw14", "redis://127.0.0.1:6379/1"),
    ],
)
def test_each_worker_has_a_database_of_its_own(worker, expected):
    assert _worker_redis_url(URL, worker) == expected


def test_a_worker_that_would_reach_database_0_stops_the_run():
    with pytest.raises(pytest.UsageError, match="gw15 would empty Redis database 0"):
        _worker_redis_url(URL, "gw15")
