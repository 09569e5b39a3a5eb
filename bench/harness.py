"""Time two ways of doing the same work, alternately, and compare them.

The rules the suite's figures rest on (docs/performance.md):

- Both sides run in the same process, against the same database and data, in the same run.
- One warm-up of each side, untimed, then ``rounds`` (at least 7) rounds; each round runs both
  sides, A first in even rounds and B first in odd ones, so a drift in the machine (another
  process, a cache warming) lands on both. Each round gives one ratio A/B.
- The result is the median of the rounds' ratios, with the lowest and highest as its spread,
  and the median seconds of each side.
- Query counts and peak memory come from one further, separate run of each side: counting
  queries and tracing allocations slow the code down, so they never touch the timed rounds.
- Work that changes data gets fresh input for every run from ``prepare``, untimed.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.test.utils import CaptureQueriesContext

Work = Callable[[Any], object]

MIN_ROUNDS = 7


@dataclass(frozen=True)
class Side:
    """One way of doing the work: ``run(prepared)`` is timed; ``prepare()`` is not."""

    label: str
    run: Work
    prepare: Callable[[], Any] = lambda: None


@dataclass(frozen=True)
class Measurement:
    item: str
    title: str
    target: str
    max_ratio: float
    ratios: tuple[float, ...]
    a_seconds: tuple[float, ...]
    b_seconds: tuple[float, ...]
    a_queries: int
    b_queries: int
    a_peak_bytes: int
    b_peak_bytes: int
    # Further targets of the item (an absolute time, a query ceiling): name -> (passed, words).
    extra: dict[str, tuple[bool, str]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.ratios), max(self.ratios)

    @property
    def a_median(self) -> float:
        return statistics.median(self.a_seconds)

    @property
    def b_median(self) -> float:
        return statistics.median(self.b_seconds)

    @property
    def passed(self) -> bool:
        return self.ratio <= self.max_ratio and all(ok for ok, _ in self.extra.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "title": self.title,
            "target": self.target,
            "max_ratio": self.max_ratio,
            "ratio": round(self.ratio, 3),
            "spread": [round(v, 3) for v in self.spread],
            "a_median_s": round(self.a_median, 6),
            "b_median_s": round(self.b_median, 6),
            "rounds": len(self.ratios),
            "a_queries": self.a_queries,
            "b_queries": self.b_queries,
            "a_peak_bytes": self.a_peak_bytes,
            "b_peak_bytes": self.b_peak_bytes,
            "extra": {k: {"passed": ok, "detail": words} for k, (ok, words) in self.extra.items()},
            "passed": self.passed,
        }


def _timed(side: Side, clock: Callable[[], float]) -> float:
    prepared = side.prepare()
    start = clock()
    side.run(prepared)
    return clock() - start


def _queries(side: Side, using: str) -> int:
    prepared = side.prepare()
    with CaptureQueriesContext(connections[using]) as captured:
        side.run(prepared)
    return len(captured.captured_queries)


def _peak(side: Side) -> int:
    prepared = side.prepare()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        side.run(prepared)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def compare(
    *,
    item: str,
    title: str,
    target: str,
    max_ratio: float,
    a: Side,
    b: Side,
    rounds: int = MIN_ROUNDS,
    using: str = "default",
    clock: Callable[[], float] = time.perf_counter,
) -> Measurement:
    """Measure ``a`` against ``b`` as the module's rules say."""
    if rounds < MIN_ROUNDS:
        raise ValueError(f"at least {MIN_ROUNDS} rounds are needed for a median, not {rounds}")
    _timed(a, clock)
    _timed(b, clock)
    a_times: list[float] = []
    b_times: list[float] = []
    ratios: list[float] = []
    for round_ in range(rounds):
        order: Sequence[Side] = (a, b) if round_ % 2 == 0 else (b, a)
        seconds = {side.label: _timed(side, clock) for side in order}
        a_times.append(seconds[a.label])
        b_times.append(seconds[b.label])
        # A baseline too quick for the clock to see counts as one tick, not a division by zero.
        ratios.append(seconds[a.label] / max(seconds[b.label], 1e-9))
    return Measurement(
        item=item,
        title=title,
        target=target,
        max_ratio=max_ratio,
        ratios=tuple(ratios),
        a_seconds=tuple(a_times),
        b_seconds=tuple(b_times),
        a_queries=_queries(a, using),
        b_queries=_queries(b, using),
        a_peak_bytes=_peak(a),
        b_peak_bytes=_peak(b),
    )


def table(measurements: Sequence[Measurement]) -> str:
    """A Markdown table of the measurements, one row each, with pass or fail."""
    lines = [
        "| # | Work | Target | Ratio (spread) | A median | B median | Queries A/B | Peak MB A/B "
        "| Result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in measurements:
        low, high = m.spread
        extra = "".join(f"; {words}" for _, words in m.extra.values())
        lines.append(
            f"| {m.item} | {m.title} | {m.target} | {m.ratio:.2f}x ({low:.2f} to {high:.2f}) "
            f"| {m.a_median * 1000:.1f} ms | {m.b_median * 1000:.1f} ms "
            f"| {m.a_queries}/{m.b_queries} "
            f"| {m.a_peak_bytes / 1e6:.1f}/{m.b_peak_bytes / 1e6:.1f} "
            f"| {'pass' if m.passed else 'FAIL'}{extra} |"
        )
    return "\n".join(lines)
