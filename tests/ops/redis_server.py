"""A Redis server of the test's own, on a free loopback port, that a test can make hang, or
stop and start again.

A hung Redis (not down, just not answering) is made with SIGSTOP: the kernel still accepts
connections, but nothing answers. The server runs without persistence and is stopped (and
continued first, if hung) when the test ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

REDIS_SERVER = shutil.which("redis-server")


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    port: int
    hung: bool = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hang(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        self.hung = True

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        self.hung = False

    def stop(self) -> None:
        """Stop the server (an outage: connections are refused), as ``terminate`` does."""
        if self.hung:
            self.resume()
        self.process.terminate()
        self.process.wait(timeout=10)

    def start(self) -> None:
        """Start it again on the same port, empty (it keeps nothing on disk)."""
        self.process = _launch(self.port)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _launch(port: int) -> subprocess.Popen[bytes]:
    """Start redis-server on ``port`` and return once it accepts connections."""
    assert REDIS_SERVER is not None
    process = subprocess.Popen(  # a fixed binary and arguments
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if time.monotonic() > deadline:
                process.terminate()
                raise
            time.sleep(0.05)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("redis-server is required in CI (apt-get install redis-server)")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    port = _free_port()
    server = RedisServer(process=_launch(port), port=port)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


def use_cache_at(settings, url: str, **options: object) -> None:
    """Point the default cache at ``url`` through the app's cache layer, breaker closed."""
    from ops import cache as cache_layer

    cache_layer._breakers.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "ops.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        }
    }
