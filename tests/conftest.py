"""Shared fixtures: MNIST, the app on the shipped model, a real server started with `make run`, and
new corrections databases (SQLite and a real PostgreSQL server)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from model_training.data import load_mnist
from tests.support import ARTIFACTS, Server
from tests.postgres import create_database, postgres
from webapp import create_app

# Rate limits are off for the suite (tests hammer the app from one address); tests of the limits
# turn them on for their own app or server.
os.environ["DIGITS_RATE_LIMIT"] = "off"


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


@pytest.fixture(scope="session")
def server():
    """The real app served by `make run` (gunicorn, the shipped model) for the whole session."""
    srv = Server()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server (installed with apt when missing) for the session: its URL."""
    with postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    """The URL of a new, empty corrections database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'corrections.sqlite3'}"
    return create_database(request.getfixturevalue("postgres_url"), f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
