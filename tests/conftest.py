"""Shared fixtures: MNIST, the app on the shipped model, and a real server started with `make run`."""

from __future__ import annotations

import base64
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from bench.load import free_port, stop_process_group
from model_training.data import load_mnist
from webapp import PROJECT_ROOT, create_app

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def mnist():
    """((x_train, y_train), (x_test, y_test)) as uint8, fetched once if missing."""
    return load_mnist()


@pytest.fixture(scope="session")
def app():
    """The app on the shipped model (or on $DIGITS_MODEL where set)."""
    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


# Two symbols as pen paths in 28x28 space, for "not a digit" checks: '#' and a five-pointed star.
HASH_SIGN = [np.array(p, float) for p in ([[10, 4], [8, 24]], [[19, 4], [17, 24]], [[4, 10], [24, 10]], [[3, 17], [23, 17]])]
STAR = [np.array([[14 + 10 * np.sin(a), 14 - 10 * np.cos(a)] for a in np.arange(6) * 4 * np.pi / 5])]


def data_url(png: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(png).decode("ascii")


class Server:
    """A server process started by `make run` on a free loopback port, stopped on `stop`."""

    def __init__(self, env: dict[str, str] | None = None, log_name: str = "server.log"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / log_name
        self._log = open(self.log_path, "wb")
        environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "ACCESS_LOG": ""}
        environment.update(env or {})
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT, env=environment,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer /healthz in time")

    def stop(self) -> None:
        stop_process_group(self.process)
        self._log.close()


@pytest.fixture(scope="session")
def server():
    """The real app served by `make run` (gunicorn, the shipped model) for the whole session."""
    srv = Server()
    yield srv
    srv.stop()


def held_back_digits(mnist, count: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` MNIST test digits from `offset`: never used for training or model selection."""
    _, (x_test, y_test) = mnist
    return x_test[offset:offset + count], y_test[offset:offset + count]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
