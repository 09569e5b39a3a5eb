"""The slow-test guard of the first pass fails an unmarked test that spends too much CPU time,
in its own process or in a process it starts, and lets a test marked slow through."""

from pathlib import Path

import pytest

from tests.conftest import SlowTestGuard

pytest_plugins = ["pytester"]

TESTS = """
import subprocess
import sys
import time

import pytest


def _burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_quick():
    pass


def test_burns_in_process():
    _burn(0.3)


def test_burns_in_a_child():
    code = "import time\\nend = time.process_time() + 0.3\\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_marked_slow():
    _burn(0.3)


@pytest.mark.cpu_budget(0.6)
def test_with_its_own_budget():
    _burn(0.3)
"""


@pytest.mark.slow  # it spends about a second of CPU time on purpose
def test_the_guard_fails_unmarked_tests_that_spend_too_long(pytester):
    pytester.makepyfile(test_inner=TESTS)
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    cpu_budget: budget\n")
    result = pytester.runpytest(
        "-p",
        "no:django",
        "-p",
        "no:playwright",
        "-p",
        "no:cacheprovider",
        plugins=[SlowTestGuard(0.2)],
    )
    _assert_the_two_burners_failed(result)


def _assert_the_two_burners_failed(result: pytest.RunResult) -> None:
    # Each burner passes its call and fails its teardown, which names it and its time.
    result.assert_outcomes(passed=5, errors=2)  # the one with its own budget passes
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["2 test(s) took over 0.2 s of CPU time*"])
    named = [line for line in result.outlines if line.lstrip()[:1].isdigit() and " s  " in line]
    assert sorted(line.split()[-1] for line in named) == [
        "test_inner.py::test_burns_in_a_child",
        "test_inner.py::test_burns_in_process",
    ]
    errors = sorted(line for line in result.outlines if line.startswith("ERROR test_inner.py"))
    assert [line.split(" - ")[0] for line in errors] == [
        "ERROR test_inner.py::test_burns_in_a_child",
        "ERROR test_inner.py::test_burns_in_process",
    ]


# How scripts/test runs its first pass: the tests spread over two pytest-xdist workers, each
# with its own guard (loaded from the conftest, as tests/conftest.py does), and the verdicts
# reaching the controller's result and summary.
GUARD_CONFTEST = """
from tests.conftest import SlowTestGuard


def pytest_configure(config):
    config.pluginmanager.register(SlowTestGuard(0.2), "guard")
"""


@pytest.mark.slow  # two worker processes start, and the burners spend their time on purpose
def test_the_guard_fails_them_from_xdist_workers_too(pytester, monkeypatch):
    # The workers import the guard from tests/conftest.py, which needs Django set up.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings")
    pytester.makepyfile(test_inner=TESTS)
    pytester.makeconftest(GUARD_CONFTEST)
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    cpu_budget: budget\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "xdist",
        "-n",
        "2",
        "-p",
        "no:playwright",
        "-p",
        "no:cacheprovider",
        "-rE",
    )
    _assert_the_two_burners_failed(result)


def test_the_limit_scales_with_the_machine_but_never_below_the_half_second(monkeypatch):
    from tests import conftest

    for given, factor in (("3", 3.0), ("1", 1.0), ("0.5", 1.0)):
        monkeypatch.setenv("SPEAKUP_SLOW_TEST_FACTOR", given)
        assert conftest.machine_factor() == factor, given
    monkeypatch.delenv("SPEAKUP_SLOW_TEST_FACTOR")
    # Measured: a machine as fast as the reference, or faster, keeps the half second...
    monkeypatch.setattr(conftest, "_reference_loop", lambda: 0.03)
    assert conftest.machine_factor() == 1.0
    # ...and one four times slower gets four times as long.
    monkeypatch.setattr(conftest, "_reference_loop", lambda: 0.2)
    assert conftest.machine_factor() == pytest.approx(4.0)
