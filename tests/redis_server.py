"""A real Redis server for tests: Debian's `redis-server` on a free loopback port, nothing saved.

    with redis_server() as url:      # redis://127.0.0.1:PORT/0
        ...
"""

from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager
from typing import Iterator

from tests.debian import installed
from tests.support import free_port

START_TIMEOUT_S = 10.0


def cli(port: int, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([installed("redis-cli", "redis-tools"), "-h", "127.0.0.1", "-p", str(port), *command],
                          capture_output=True, text=True, timeout=30)


@contextmanager
def redis_server() -> Iterator[str]:
    """A running Redis server for the block, in memory only: yields its URL; shut down after."""
    server = installed("redis-server", "redis-server")
    port = free_port()
    subprocess.run([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--logfile", ""], check=True, capture_output=True, timeout=30)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while cli(port, "ping").stdout.strip() != "PONG":
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        cli(port, "shutdown", "nosave")
