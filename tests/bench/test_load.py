"""The load run's own arithmetic: equal shares per client (an address may send only so many
reports an hour) and the percentile it prints. The run itself needs gunicorn and a populated
database: docs/performance.md says how it is run."""

from __future__ import annotations

from bench.load import _percentile, _run


class _Fake:
    def __init__(self, name: str) -> None:
        self.name = name


def test_each_client_makes_an_equal_share_and_failures_are_counted_apart():
    clients = [_Fake(f"c{i}") for i in range(4)]
    made: list[str] = []

    def job(client):
        made.append(client.name)
        return 0.01, 429 if client.name == "c3" and made.count("c3") == 1 else 200

    seconds, latencies, failures = _run(clients, 10, job)  # type: ignore[arg-type]
    assert sorted(made.count(c.name) for c in clients) == [2, 2, 3, 3]
    assert failures == [429]
    assert len(latencies) == 9 and seconds >= 0


def test_the_95th_percentile_is_a_value_that_was_measured():
    values = [float(n) for n in range(1, 101)]
    assert _percentile(values, 0.95) == 96.0
    assert _percentile([5.0], 0.95) == 5.0
