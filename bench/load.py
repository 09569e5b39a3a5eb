"""The HTTP load run: gunicorn with several workers on loopback, against the database, cache
and broker the environment names, driven by a fixed number of requests from concurrent
clients. Prints reports filed a second and the median and 95th percentile latency of the
report's "Send", a handler's case list and a case page.

    python -m bench.load --reports 400 --pages 200 --workers 3 --clients 6

Run it against the benchmark's PostgreSQL database after ``scripts/bench`` (the two URLs it
prints), with ``CACHE_URL`` and ``CELERY_BROKER_URL`` on Redis databases of its own: the run
empties its cache database first (the throttles' counters), vacuums and analyses the tables
as autovacuum would have once the suite grew them (``bench.data.vacuum_analyse``), and
leaves the queued e-mails to whoever runs a worker. Loopback only. The throttles stay on: each
client posts from an address of its own (127.0.0.x, all loopback), ``REPORTS_PER_HOUR``
reports at most, so ``--reports`` may not be more than the clients times that, nor more than
``REPORTS_GLOBAL`` in all; a report refused with 429 counts as a failure. Gunicorn writes no
access log (no addresses in logs).
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class _Client:
    """One loopback client with an address of its own, keeping its connection open."""

    def __init__(self, port: int, address: str, cookie: str = "") -> None:
        self.port, self.address, self.cookie = port, address, cookie
        self.connection = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=60, source_address=(self.address, 0)
        )

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> int:
        headers = {"Host": "localhost"}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            self.connection.request(method, path, body=data, headers=headers)
            answer = self.connection.getresponse()
            answer.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = self._connect()
            return 0
        return answer.status


def _timed(
    client: _Client, method: str, path: str, body: dict[str, str] | None
) -> tuple[float, int]:
    start = time.perf_counter()
    status = client.request(method, path, body)
    return time.perf_counter() - start, status


def _run(clients: list[_Client], jobs: int, job: Callable[[_Client], tuple[float, int]]) -> Any:
    """``jobs`` calls of ``job``, an equal share per client, each client on its own thread:
    (seconds, latencies, failures). Equal shares, not first come first served: a reporter's
    address may send only so many reports an hour, and a quicker client must not take more."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    shares = [
        jobs // len(clients) + (1 if i < jobs % len(clients) else 0) for i in range(len(clients))
    ]

    def work(client: _Client, share: int) -> None:
        for _ in range(share):
            seconds, status = job(client)
            with lock:
                if status in (200, 302):
                    latencies.append(seconds)
                else:
                    failures.append(status)

    threads = [
        threading.Thread(target=work, args=pair) for pair in zip(clients, shares, strict=True)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies, failures


def _staff_cookie() -> tuple[str, str]:
    """A handler signed in with both factors (as the tests' ``sign_in``), and a case of theirs."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from bench.data import staff_client
    from permissions.models import CaseUserPermission
    from permissions.roles import Role

    user = get_user_model().objects.get(username="handler")
    user.groups.add(Group.objects.get(name=Role.HANDLER))
    session = staff_client(user).session
    grant = CaseUserPermission.objects.filter(user=user).order_by("pk").first()
    if grant is None:
        raise SystemExit("The demonstration handler holds no case: run scripts/bench first.")
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", str(grant.content_object_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--pages", type=int, default=200, help="of each staff page")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.core.cache import cache

    from bench.data import vacuum_analyse
    from bench.items.b3_submission import _setting
    from intake.throttle import REPORTS_GLOBAL, REPORTS_PER_HOUR

    if args.reports > min(args.clients * REPORTS_PER_HOUR.count, REPORTS_GLOBAL.count):
        raise SystemExit("More reports than the throttles let through in an hour: see --help.")
    if not settings.CACHES["default"]["BACKEND"].startswith("ops.cache"):
        raise SystemExit("CACHE_URL must name a Redis database the workers share.")
    cache.clear()
    vacuum_analyse()  # as autovacuum would have after scripts/bench grew the tables
    setting = _setting()
    cookie, case_id = _staff_cookie()
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(args.workers),
         "-b", f"127.0.0.1:{args.port}", "--log-level", "warning"],
        cwd=ROOT,
    )  # fmt: skip
    try:
        probe = _Client(args.port, "127.0.0.1")
        for _ in range(120):
            if probe.request("GET", "/") == 200:  # not /healthz: no worker runs here
                break
            time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not answer")
        reporters = [_Client(args.port, f"127.0.0.{10 + i}") for i in range(args.clients)]
        staff = [_Client(args.port, "127.0.0.2", cookie) for _ in range(args.clients)]
        send = f"/report/{setting.case_type.slug}/send/"

        def report(client: _Client) -> tuple[float, int]:
            return _timed(
                client, "POST", send, {**setting.form, "submission_key": secrets.token_urlsafe(24)}
            )

        # Untimed first: each worker's first requests import and compile what the rest reuse
        # (templates, URL patterns, the first connection), which is not the rate at which it
        # serves. Enough requests of each kind that every worker is likely to take some, the
        # reports from addresses of their own (the throttles' budget of the timed clients).
        warm = 4 * args.workers
        warmers = [_Client(args.port, f"127.0.0.{200 + i}") for i in range(args.workers)]
        if args.reports + warm > REPORTS_GLOBAL.count:
            raise SystemExit("More reports than the throttles let through in an hour: see --help.")
        _run(warmers, warm, report)
        _run(staff[: args.workers], warm, lambda c: _timed(c, "GET", "/staff/cases/", None))
        _run(
            staff[: args.workers],
            warm,
            lambda c: _timed(c, "GET", f"/staff/cases/{case_id}/", None),
        )
        results = {
            "report": _run(reporters, args.reports, report),
            "case list": _run(staff, args.pages, lambda c: _timed(c, "GET", "/staff/cases/", None)),
            "case page": _run(
                staff, args.pages, lambda c: _timed(c, "GET", f"/staff/cases/{case_id}/", None)
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"{args.workers} gunicorn workers, {args.clients} clients, loopback"
    )
    print("| Request | Done | Failed (status: count) | A second | Median | 95th percentile |")
    print("|---|---|---|---|---|---|")
    for name, (seconds, latencies, failures) in results.items():
        done = len(latencies)
        print(
            f"| {name} | {done} | {len(failures)} {dict(Counter(failures)) or ''} | "
            f"{done / seconds:.1f} | "
            f"{statistics.median(latencies) * 1000:.0f} ms | "
            f"{_percentile(latencies, 0.95) * 1000:.0f} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
