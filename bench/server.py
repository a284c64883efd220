"""gunicorn with the project's gunicorn.conf.py for a benchmark, and the CPU and memory readings from /proc."""

from __future__ import annotations

import http.client
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

from tests.support import children, free_port, stop_process_group

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG = PROJECT_ROOT / "gunicorn.conf.py"
SERVED_MODEL = PROJECT_ROOT / "saved_model" / "cnn.tflite"
HEADERS = {"Content-Type": "application/json"}
START_TIMEOUT_S = 180.0
CORES = os.cpu_count() or 1


def post(port: int, body: bytes, timeout: float) -> int:
    """Send one prediction request on a fresh connection; return the HTTP status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/api/predict", body, HEADERS)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def server_env(port: int, model: Path) -> dict[str, str]:
    """Environment for gunicorn.conf.py and the app: loopback, the port, the model, quiet logs."""
    return {"HOST": "127.0.0.1", "PORT": str(port), "DIGITS_MODEL": str(model),
            "ACCESS_LOG": "", "LOG_LEVEL": "warning", "DIGITS_RATE_LIMIT": "off"}


def gunicorn_settings() -> dict[str, Any]:
    """The settings gunicorn.conf.py gives in the benchmark's environment."""
    with mock.patch.dict(os.environ, server_env(0, SERVED_MODEL)):
        namespace = runpy.run_path(str(CONFIG))
    return {key: value for key, value in namespace.items() if not key.startswith("_")}


def status_mb(pid: int, field: str) -> float:
    """A memory field of /proc/<pid>/status (VmRSS, VmHWM) in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    raise KeyError(f"{field} not in /proc/{pid}/status")


def busy_cpu_seconds() -> float:
    """CPU seconds all processes together have used since boot (user and system), from /proc/stat."""
    user, nice, system = map(int, Path("/proc/stat").read_text().split()[1:4])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_share(seconds: float = 1.0) -> float:
    """The share of the machine's CPU in use over the next `seconds`."""
    start = busy_cpu_seconds()
    time.sleep(seconds)
    return (busy_cpu_seconds() - start) / (seconds * CORES)


class Server:
    """gunicorn with the project's gunicorn.conf.py on a free loopback port; a context manager."""

    def __init__(self, model: Path, log_dir: Path):
        self.model = model
        self.port = free_port()
        self.log_path = log_dir / f"server-{model.name}.log"
        self._log = open(self.log_path, "wb")
        env = {**os.environ, **server_env(self.port, model)}
        self.spawned = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "webapp:create_app()"],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's log."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def first_answer(self, body: bytes) -> float:
        """Seconds from spawn to the first 200 answer to POST /api/predict, polling every 10 ms."""
        deadline = self.spawned + START_TIMEOUT_S
        while (left := deadline - time.perf_counter()) > 0:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.model.name} server exited early:\n{self.log_tail()}")
            try:
                if post(self.port, body, timeout=left) == 200:
                    return time.perf_counter() - self.spawned
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.01)
        raise RuntimeError(f"{self.model.name} server gave no answer in {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def workers(self) -> list[int]:
        """Process ids of the gunicorn workers: the master's children."""
        return children(self.process.pid)

    def worker_cpu_s(self) -> dict[int, float]:
        """CPU seconds used so far by each worker."""
        return {pid: cpu_seconds(pid) for pid in self.workers()}

    def wait_for_workers(self, count: int, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the master has forked `count` workers."""
        deadline = time.monotonic() + timeout
        while len(self.workers()) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the master and its workers."""
        stop_process_group(self.process)
        self._log.close()
