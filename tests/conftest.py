"""Shared fixtures and the rules for tests that need a real service.

Tests marked ``postgres``, ``redis`` or ``browser`` need PostgreSQL, Redis (with a real
Celery worker) or Debian's chromium. Outside CI they skip, saying how to enable them; with
``CI=true`` a missing service fails the run instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.db import connection

from cases.models import CaseType
from permissions.roles import Role
from tests import shared_cast
from tests.builders import make_case, make_case_type

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path("/usr/bin/chromium")


def _worker_redis_url(url: str, worker: str) -> str:
    """The Redis database for this pytest-xdist worker: the given one for gw0 or no worker,
    one below it for gw1 and so on, so that two workers' Celery tests never flush each
    other's queues (the integration tests empty their database before they start). Never
    below database 1: more workers than that stop the run rather than wrap round to
    database 0, the one an application left at Redis's default uses."""
    if not worker.startswith("gw"):
        return url
    parsed = urlparse(url)
    number = int(parsed.path.lstrip("/") or 0) - int(worker[2:])
    if number < 1:
        raise pytest.UsageError(
            f"pytest-xdist worker {worker} would empty Redis database {number} of {url}: "
            "set SPEAKUP_TEST_WORKERS lower or SPEAKUP_TEST_REDIS_URL to a higher database"
        )
    return parsed._replace(path=f"/{number}").geturl()


REDIS_URL = _worker_redis_url(
    os.environ.get("SPEAKUP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    os.environ.get("PYTEST_XDIST_WORKER", ""),
)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _missing(what: str, how: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available: {how}", pytrace=False)
    pytest.skip(f"{what} not available; {how}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Skips a test whose service is missing; then, before the test's fixtures, the shared
    cast is built, kept or dropped (tests/shared_cast.py)."""
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of scripts/test (DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") and not _reachable(REDIS_URL, 6379):
        _missing("Redis", f"start Redis or set SPEAKUP_TEST_REDIS_URL (now {REDIS_URL})")
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        _missing("Chromium", "install Debian's chromium package (apt-get install chromium)")
    shared_cast.before_setup(item, _build_shared_cast)
    return (yield)


# The slow-test guard: scripts/test sets SPEAKUP_SLOW_TEST_SECONDS for its first pass, and any
# test not marked slow (or needing a real service or a browser) that spends more CPU time than
# that fails the run. CPU time, not wall time, so a busy machine does not trip it; time spent
# setting up session-wide fixtures (the test database) is nobody's. The CPU time of processes
# a test starts and waits for counts too, so a test cannot hide its cost in a subprocess.
# The verdict is the test's own report (an error at teardown, naming the time), so it reaches
# the run's result and summary the same way in one process and from pytest-xdist's workers.
SLOW_TEST_SECONDS = float(os.environ.get("SPEAKUP_SLOW_TEST_SECONDS") or 0)
# The half second is CPU time on a reference machine, where the loop below takes 50 ms of CPU
# (a current x86 core running CPython 3.13). Machines differ several times over (this
# project's CI machines have measured 0.06 s to 0.21 s for it), so each run measures the loop
# and scales the limit by how much slower it is here, never below the half second itself:
# a test four times over the budget fails on a fast machine and on a slow one alike.
# SPEAKUP_SLOW_TEST_FACTOR sets the factor by hand (1 to hold every machine to the half second).
REFERENCE_LOOP_SECONDS = 0.05
# The same test's CPU time varies from run to run under two workers on two cores: seen here,
# 0.54 to 0.68 s for one test over five runs, and 0.50 to 0.91 s for another (a spike when the
# other worker was busiest). A test fails only beyond that noise, at twice its budget, so the
# verdict is the test's, not the run's; a test that is slow every time is still caught.
NOISE_ALLOWANCE = 2.0
EXEMPT_MARKS = {"slow", "postgres", "redis", "browser"}
COVERAGE_ALLOWANCE = 1.5
GUARD_PROPERTY = "slow_test_guard_cpu_seconds"


def _reference_loop() -> float:
    """CPU seconds for one million steps of a plain Python loop: this machine's speed."""
    start = time.process_time()
    total = 0
    for step in range(1_000_000):
        total += step
    return time.process_time() - start


def machine_factor() -> float:
    """How many times slower than the reference machine this one runs plain Python (at least
    1), or the factor SPEAKUP_SLOW_TEST_FACTOR gives."""
    given = os.environ.get("SPEAKUP_SLOW_TEST_FACTOR")
    if given:
        return max(1.0, float(given))
    return max(1.0, min(_reference_loop() for _ in range(3)) / REFERENCE_LOOP_SECONDS)


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended and been waited for."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


class SlowTestGuard:
    """A plugin (not conftest hooks, which pytest skips for session-scoped fixtures)."""

    def __init__(self, limit: float, *, scale: float = 1.0) -> None:
        self.limit = limit
        self.scale = scale  # this machine's factor: a test's own budget is scaled by it too
        self.shared = 0.0
        self.started: tuple[float, float] | None = None
        self.too_slow: list[tuple[str, float]] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[object]) -> Iterator[None]:
        started = _cpu_seconds()
        yield
        if fixturedef.scope == "session":
            self.shared += _cpu_seconds() - started

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        self.started = (_cpu_seconds(), self.shared)
        yield
        self.started = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        outcome = yield
        if call.when != "teardown" or self.started is None:
            return
        started, shared = self.started
        spent = _cpu_seconds() - started - (self.shared - shared)
        marks = {mark.name for mark in item.iter_markers()}
        # A test that only this pass can run (SQLite-only) may name its own budget, in the
        # same reference seconds, scaled like the limit: @pytest.mark.cpu_budget(1.0).
        budget = item.get_closest_marker("cpu_budget")
        limit = budget.args[0] * self.scale if budget else self.limit
        if spent <= limit or marks & EXEMPT_MARKS:
            return
        report: pytest.TestReport = outcome.get_result()
        report.user_properties.append((GUARD_PROPERTY, spent))
        if report.passed:
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid} spent {spent:.2f} s of CPU time (setup, call and teardown, "
                f"with the processes it started), over the limit of {limit:.2f} s: make it "
                "faster or mark it @pytest.mark.slow (it then runs in the second pass)"
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gathers the verdicts, from this process or from xdist's workers."""
        self.too_slow.extend(
            (report.nodeid, value)
            for name, value in report.user_properties
            if name == GUARD_PROPERTY and isinstance(value, float)
        )

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.too_slow:
            lines = "\n".join(f"  {spent:5.2f} s  {node}" for node, spent in sorted(self.too_slow))
            terminalreporter.write_line(
                f"\n{len(self.too_slow)} test(s) took over {self.limit} s of CPU time; make "
                "them faster or mark them @pytest.mark.slow (they then run in the second "
                f"pass):\n{lines}"
            )


def _warm_django() -> None:
    """Compile every template and build the URL resolver once, before the guard starts: the
    first test to render a page would otherwise be charged for work done once per run."""
    from django.template import TemplateSyntaxError, engines
    from django.template.utils import get_app_template_dirs
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (loads every urls module)
    # The health check's first broker probe loads the broker's transport (SQLAlchemy, for
    # the embedded broker) and creates its tables: once per process, so charge it to nobody.
    from ops.selectors import broker_queue_length

    broker_queue_length()
    engine = engines["django"]
    for folder in get_app_template_dirs("templates"):
        for path in folder.rglob("*.html"):
            try:
                engine.get_template(str(path.relative_to(folder)))
            except (TemplateSyntaxError, LookupError, ImportError):
                continue  # a template for a library feature we do not load


def _xdist_controller(config: pytest.Config) -> bool:
    """True in the process that hands tests to pytest-xdist's workers and runs none itself."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    # The cyclic garbage collector runs every 700 new objects by default, and a test run makes
    # millions (querysets, model instances, requests): collect less often, and never look
    # again at what was made before the first test (pytest_collection_finish). Objects still
    # go the moment nothing refers to them; only cycles wait longer. About 3.5% of the CPU.
    gc.set_threshold(50_000, 20, 100)
    if os.environ.get("SPEAKUP_CPU_REPORT"):
        from tests import cpu_report

        cpu_report.register(config, int(os.environ["SPEAKUP_CPU_REPORT"]))
    if SLOW_TEST_SECONDS:
        if not _xdist_controller(config):
            # Hypothesis builds its table of Unicode characters on first use (seconds, once
            # per machine): build it now, so it is charged to no test.
            from hypothesis.internal.charmap import charmap

            charmap()
            _warm_django()
        # Under coverage (run by hand: scripts/test's first pass no longer is) Python's tracer
        # adds about half again to every test's CPU time: allow for it, so the limit means the
        # test's own half second and a busy machine cannot push a test at 0.35 s over it.
        scale = (COVERAGE_ALLOWANCE if sys.gettrace() else 1.0) * machine_factor() * NOISE_ALLOWANCE
        guard = SlowTestGuard(round(SLOW_TEST_SECONDS * scale, 2), scale=scale)
        config.pluginmanager.register(guard, "speakup-slow-test-guard")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """With two PostgreSQL roles, the owner makes and migrates the test database..."""
    from tests import dbroles

    if connection.vendor == "sqlite":
        from tests import sqlite_template

        sqlite_template.install(connection)
    dbroles.default_as_owner()


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker) -> Iterator[None]:
    """...the tests connect as the application's role, and the owner drops it at the end."""
    from tests import dbroles

    with django_db_blocker.unblock():
        dbroles.default_as_app()
    shared_cast.database_ready()
    yield
    shared_cast.close(request.config)
    dbroles.default_as_owner()


@pytest.fixture(autouse=True)
def _configuration_not_kept() -> None:
    """The reporter pages' configuration kept in the cache (intake/configuration.py) is
    dropped before each test: a test's rows are rolled back without the signals that drop
    it, so a copy kept by one test would show its categories to the next."""
    from intake.configuration import _drop

    _drop()


# PBKDF2 is deliberately slow; tests hash with MD5 (never used outside tests).
TEST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = TEST_PASSWORD_HASHERS


@pytest.fixture(scope="session")
def _evidence_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(autouse=True)
def _evidence_dir(settings, _evidence_base: Path) -> Iterator[Path]:
    """Each test stores evidence in its own folder, made only when the test stores a file
    (as on a new installation before its first ``migrate``): most tests store none, and a
    numbered temporary folder for each of them would cost more than some of the tests."""
    folder = _evidence_base / str(next(_EVIDENCE_FOLDERS))
    settings.SPEAKUP_EVIDENCE_DIR = folder
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


_EVIDENCE_FOLDERS = itertools.count()


@pytest.fixture
def case_type(db: None) -> CaseType:
    return make_case_type()


@pytest.fixture
def case(case_type):
    return make_case(case_type=case_type)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(username="handler", password="not-used-123!")


# --- The standing cast (STYLE.md point 9) ---------------------------------------------------

# Everyone in the cast who must get not-found for the cast's case, whatever their role.
OUTSIDERS = [
    "unassigned_handler",
    "unassigned_investigator",
    "governance_lead",
    "administrator",
    "superuser",
    "conflicted_handler",
    "other_triage_lead",
]

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, offset: int = 0) -> str:
    """The code an authenticator app shows now (``offset`` periods away)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset)))


def _member(django_user_model, username: str, *roles: str, **fields):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=username, password="a-long-password-1", **fields
    )
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


# The cast's people: username, groups (roles and the case type's teams) and other fields.
CAST_PEOPLE: dict[str, tuple[str, tuple[str, ...], dict[str, bool]]] = {
    "triage_lead": ("triage", (Role.TRIAGE_LEAD, "Whistleblowing triage"), {}),
    "assigned_handler": ("handler", (Role.HANDLER,), {}),
    "unassigned_handler": ("other-handler", (Role.HANDLER,), {}),
    "external_investigator": ("investigator", (Role.EXTERNAL_INVESTIGATOR,), {}),
    "unassigned_investigator": ("other-investigator", (Role.EXTERNAL_INVESTIGATOR,), {}),
    "governance_lead": ("governance", (Role.GOVERNANCE_LEAD,), {}),
    "administrator": ("admin", (Role.ADMINISTRATOR,), {"is_staff": True}),
    "superuser": ("root", (), {"is_staff": True, "is_superuser": True}),
    "conflicted_handler": ("conflicted", (Role.HANDLER, "Whistleblowing handlers"), {}),
    "team_handler": ("team-member", (Role.HANDLER, "Whistleblowing handlers"), {}),
    "other_triage_lead": ("other-triage", (Role.TRIAGE_LEAD, "Other triage"), {}),
}


def _people(django_user_model, people: dict[str, tuple[str, tuple[str, ...], dict[str, bool]]]):
    """Users and their group memberships in three INSERTs. Nothing watches a user row or a
    membership (no signal, no history), so bulk creation bypasses nothing."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    password = make_password("a-long-password-1")
    users = django_user_model.objects.bulk_create(
        django_user_model(username=username, password=password, **fields)
        for username, _, fields in people.values()
    )
    names = {name for _, groups, _ in people.values() for name in groups}
    groups = {group.name: group for group in Group.objects.filter(name__in=names)}
    groups.update(
        (group.name, group)
        for group in Group.objects.bulk_create(Group(name=name) for name in names - set(groups))
    )
    membership = django_user_model.groups.through
    membership.objects.bulk_create(
        membership(user=user, group=groups[name])
        for user, (_, names_of_user, _) in zip(users, people.values(), strict=True)
        for name in names_of_user
    )
    return dict(zip(people, users, strict=True)), groups


def _build_cast() -> dict[str, Any]:
    """The cast's objects: what ``cast`` gives a test, before it is made a class."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from permissions.models import ExclusionKind
    from permissions.services import case_assign, case_assign_team, exclusion_add

    people, groups = _people(get_user_model(), CAST_PEOPLE)
    team = groups["Whistleblowing handlers"]
    case_type = make_case_type(triage_team=groups["Whistleblowing triage"])
    case = make_case(case_type=case_type, reporter_contact="call me on 0700 000000")
    lead = people["triage_lead"]
    case_assign(case=case, assignee=people["assigned_handler"], actor=lead)
    case_assign(
        case=case,
        assignee=people["external_investigator"],
        actor=lead,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    case_assign_team(case=case, team=team, actor=lead)
    exclusion_add(
        case=case, user=people["conflicted_handler"], kind=ExclusionKind.SUBJECT, actor=lead
    )
    return {"case": case, "case_type": case_type, "team": team, **people}


def _build_shared_cast() -> dict[str, Any]:
    """The cast built before a test's fixtures, so under the settings they would give it."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
        return _build_cast()


@pytest.fixture
def cast(db, django_user_model):
    """A case type with a triage team, one case on it, and a person in every position.

    Built once for a run of consecutive tests that ask for it, in a transaction around theirs,
    each test getting its own copies of the objects (tests/shared_cast.py); built in the test
    itself when the test commits for real."""
    objects = shared_cast.current() or _build_cast()
    return type("Cast", (), objects)


@pytest.fixture
def sign_in(client):
    """Sign a user in as if through the login page with two factors, and return the client."""

    def _sign_in(user, the_client=None):
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        the_client = the_client or client
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, TOTP_SECRET)
        the_client.force_login(user)
        session = the_client.session
        session["account_authentication_methods"] = [{"method": "mfa", "type": "totp"}]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
        return the_client

    return _sign_in


@pytest.fixture
def second_administrator(cast, django_user_model):
    """Another administrator: role and team changes need two."""
    return _member(django_user_model, "admin-two", Role.ADMINISTRATOR, is_staff=True)


# --- The cache layer, up, hung or down (tests/ops/redis_server.py) ------------------------


@pytest.fixture
def own_redis(settings):
    """The app's cache on a Redis of this test's own (``.hang()`` makes it stop answering)."""
    from tests.ops.redis_server import redis_server, use_cache_at

    with redis_server() as server:
        use_cache_at(settings, server.url)
        yield server


@pytest.fixture
def cache_down(settings):
    """The app's cache pointed at a port where nothing listens."""
    from tests.ops.redis_server import use_cache_at

    use_cache_at(settings, "redis://127.0.0.1:1/0")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported and collected so far lives for the whole run: keep it out of the
    garbage collector's way (``gc.freeze``)."""
    gc.collect()
    gc.freeze()
