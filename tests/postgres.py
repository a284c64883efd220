"""A real PostgreSQL server for tests: Debian's package, installed when missing, run as `postgres`.

    with postgres() as url:          # postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
        ...

The server lives in a temporary folder owned by the `postgres` user (initdb and pg_ctl refuse to
run as root), listens on a free loopback port, trusts local connections, and is stopped and
removed on exit. `create_database(url, name)` gives each test a fresh, empty database.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.support import free_port

PACKAGE = "postgresql"


def binaries() -> Path | None:
    """Debian's PostgreSQL server binaries (the newest major version installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def install() -> Path:
    """The binaries folder, installing Debian's package with apt when missing (needs root)."""
    found = binaries()
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError("PostgreSQL is missing: run `apt-get install -y postgresql` as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", PACKAGE]):
        subprocess.run(command, check=True, capture_output=True, timeout=900, env=env)
    found = binaries()
    if found is None:
        raise RuntimeError("apt-get installed postgresql but no pg_ctl was found")
    return found


def as_postgres(*command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a server command as the `postgres` user when root (initdb and pg_ctl refuse root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=check, capture_output=True, text=True, timeout=timeout)


class PostgresServer:
    """One PostgreSQL server in its own folder on a loopback port; `start`, `stop`, `remove`."""

    def __init__(self) -> None:
        self.bin = install()
        self.folder = Path(tempfile.mkdtemp(prefix="digits-pg-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                    str(self.folder / "server.log"), "-w", "start")

    def running(self) -> bool:
        return as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0

    def stop(self) -> None:
        if self.running():
            as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres() -> Iterator[str]:
    """A running PostgreSQL server for the block: yields its SQLAlchemy URL; stopped and removed after."""
    server = PostgresServer()
    server.start()
    try:
        yield server.url
    finally:
        try:
            server.stop()
        finally:
            server.remove()


def create_database(url: str, name: str) -> str:
    """A new empty database `name` on the server of `url`; returns its URL."""
    import psycopg

    base = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name
