"""An opt-in report of where pass 1's CPU time goes: ``SPEAKUP_CPU_REPORT=20 scripts/test``
(or the same variable before ``pytest``; tests/conftest.py registers it).

Each test's CPU time (its process's and that of the children it waited for, as the slow-test
guard counts it) is split into setup, call and teardown, and the setup of each function-scoped
fixture is timed too. The numbers ride on the reports' ``user_properties``, so they come back
from pytest-xdist's workers; the process that prints the summary adds them up: the run's total,
the costliest modules, tests and fixtures, as many of each as the variable says. CPU time
rather than wall time because the machine is usually shared. (Fixtures' setup is timed in
pytest-xdist's workers, or in the one process: a controller runs no test.)

A fixture's time is its own setup alone: the fixtures it asks for are counted as themselves.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from tests import shared_cast

PHASE = "cpu_report_seconds"
FIXTURES = "cpu_report_fixtures"
BUILDS = "cpu_report_shared_cast_builds"


def _cpu_seconds() -> float:
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


class _Timer:
    """Runs where the tests run (each xdist worker, or the one process)."""

    def __init__(self) -> None:
        self.fixtures: dict[str, float] = defaultdict(float)
        self.nested: list[float] = []  # CPU time of fixtures set up inside the current one
        self.spent = 0.0
        self.builds = 0

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[object]) -> Iterator[None]:
        started = _cpu_seconds()
        self.nested.append(0.0)
        yield
        spent = _cpu_seconds() - started
        inner = self.nested.pop()
        if self.nested:
            self.nested[-1] += spent
        self.fixtures[f"{fixturedef.argname} ({fixturedef.scope})"] += spent - inner

    def _phase(self) -> Iterator[None]:
        started = _cpu_seconds()
        yield
        self.spent = _cpu_seconds() - started

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        yield from self._phase()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        yield from self._phase()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        yield from self._phase()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        report.user_properties.append((PHASE, self.spent))
        self.spent = 0.0
        if call.when == "teardown":
            report.user_properties.append((FIXTURES, dict(self.fixtures)))
            self.fixtures.clear()
            builds = shared_cast.builds()
            report.user_properties.append((BUILDS, builds - self.builds))
            self.builds = builds


class _Summary:
    def __init__(self, top: int) -> None:
        self.top = top
        self.tests: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        self.fixtures: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        self.builds = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        phase = {"setup": 0, "call": 1, "teardown": 2}[report.when]
        value: Any
        for name, value in report.user_properties:
            if name == PHASE:
                self.tests[report.nodeid][phase] += value
            elif name == BUILDS:
                self.builds += value
            elif name == FIXTURES:
                for fixture, spent in value.items():
                    self.fixtures[fixture][0] += spent
                    self.fixtures[fixture][1] += 1

    def pytest_terminal_summary(self, terminalreporter) -> None:
        write = terminalreporter.write_line
        if not self.tests:
            return
        total = [sum(t[i] for t in self.tests.values()) for i in range(3)]
        write("")
        write(
            f"CPU time of {len(self.tests)} tests: {sum(total):.1f} s "
            f"(setup {total[0]:.1f}, call {total[1]:.1f}, teardown {total[2]:.1f}); "
            f"the shared cast built {self.builds} times"
        )
        modules: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for node, (setup, body, teardown) in self.tests.items():
            module = node.split("::")[0]
            modules[module][0] += setup + body + teardown
            modules[module][1] += setup
            modules[module][2] += 1
        write(f"\nCostliest modules (CPU s, of which setup; tests; ms a test), top {self.top}:")
        for module, (spent, setup, count) in sorted(modules.items(), key=lambda m: -m[1][0])[
            : self.top
        ]:
            write(f"  {spent:6.1f} {setup:6.1f} {count:5d} {1000 * spent / count:6.0f}  {module}")
        write(f"\nCostliest tests (CPU s: setup, call, teardown), top {self.top}:")
        for node, phases in sorted(self.tests.items(), key=lambda t: -sum(t[1]))[: self.top]:
            write(f"  {sum(phases):5.2f} ({phases[0]:.2f} {phases[1]:.2f} {phases[2]:.2f})  {node}")
        write(f"\nCostliest function fixtures' setup (CPU s; times set up), top {self.top}:")
        for fixture, (spent, count) in sorted(self.fixtures.items(), key=lambda f: -f[1][0])[
            : self.top
        ]:
            write(f"  {spent:6.1f} {int(count):6d}  {fixture}")


def register(config: pytest.Config, top: int) -> None:
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Summary(top), "speakup-cpu-report-summary")
    if not (getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")):
        config.pluginmanager.register(_Timer(), "speakup-cpu-report-timer")
