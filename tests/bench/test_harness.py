"""The benchmark harness's arithmetic and order, on a clock the test moves by hand."""

from __future__ import annotations

import dataclasses

import pytest

from bench.harness import Measurement, Side, compare, table

# The harness counts queries with Django's query capture, which needs a connection.
pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _sides(clock: FakeClock, a_costs: list[float], b_costs: list[float], log: list[str]):
    a_iter, b_iter = iter(a_costs), iter(b_costs)

    def run_a(prepared: object) -> None:
        log.append(f"a:{prepared}")
        clock.now += next(a_iter)

    def run_b(prepared: object) -> None:
        log.append(f"b:{prepared}")
        clock.now += next(b_iter)

    counter = {"a": 0, "b": 0}

    def prepare(side: str):
        def inner() -> int:
            counter[side] += 1
            return counter[side]

        return inner

    return Side("A", run_a, prepare("a")), Side("B", run_b, prepare("b"))


def test_ratios_are_per_round_and_the_median_is_reported():
    clock, log = FakeClock(), list[str]()
    # One warm-up each, 7 rounds, then one run each for queries and one for memory.
    a_costs = [9.0, 2, 2, 4, 2, 2, 6, 2, 0, 0]
    b_costs = [9.0, 1, 1, 1, 2, 1, 1, 1, 0, 0]
    a, b = _sides(clock, a_costs, b_costs, log)
    m = compare(item="B0", title="t", target="≤1.5x", max_ratio=1.5, a=a, b=b, clock=clock)
    assert m.ratios == (2.0, 2.0, 4.0, 1.0, 2.0, 6.0, 2.0)
    assert m.ratio == 2.0
    assert m.spread == (1.0, 6.0)
    assert m.a_median == 2.0
    assert m.b_median == 1.0
    assert not m.passed  # 2.0 > 1.5


def test_sides_alternate_and_every_run_gets_fresh_input():
    clock, log = FakeClock(), list[str]()
    a, b = _sides(clock, [1.0] * 10, [1.0] * 10, log)
    compare(item="B0", title="t", target="", max_ratio=1.0, a=a, b=b, clock=clock)
    timed = log[2:16]  # after the warm-up, before the counting runs
    assert [entry[0] for entry in timed] == list("abbaabbaabbaab")
    # Each run's prepared input is new: 1, 2, 3, ... for each side.
    assert [entry for entry in log if entry.startswith("a")] == [f"a:{n}" for n in range(1, 11)]


def test_fewer_than_seven_rounds_are_refused():
    clock, log = FakeClock(), list[str]()
    a, b = _sides(clock, [1.0] * 10, [1.0] * 10, log)
    with pytest.raises(ValueError, match="at least 7"):
        compare(item="B0", title="t", target="", max_ratio=1, a=a, b=b, rounds=6, clock=clock)


def test_an_extra_target_missed_fails_the_item_and_the_table_says_so():
    clock, log = FakeClock(), list[str]()
    a, b = _sides(clock, [1.0] * 10, [1.0] * 10, log)
    m = compare(item="B0", title="work", target="≤2x", max_ratio=2, a=a, b=b, clock=clock)
    assert m.passed
    assert "| pass |" in table([m])
    slow = dataclasses.replace(m, extra={"time": (False, "1.2 s, over 1 s")})
    assert not slow.passed
    assert "| FAIL; 1.2 s, over 1 s |" in table([slow])
    assert slow.as_dict()["passed"] is False


def test_a_baseline_too_quick_to_measure_is_one_tick_not_a_division_by_zero():
    clock, log = FakeClock(), list[str]()
    a, b = _sides(clock, [1.0] * 10, [0.0] * 10, log)
    m: Measurement = compare(item="B0", title="t", target="", max_ratio=1, a=a, b=b, clock=clock)
    assert m.ratio == pytest.approx(1e9)
