"""Load benchmark of the digit server, LiteRT against a Keras `model.predict` baseline.

    make bench                       # = .venv/bin/python -m bench.load
    python -m bench.load --requests 2000 --clients 8 --baseline-requests 200

Starts gunicorn with the project's gunicorn.conf.py on a free loopback port, times the spawn
to the first answered prediction, sends MNIST test digits drawn as the page's canvas PNGs from
concurrent keep-alive clients, reads each worker's memory from /proc, repeats with the Keras
model as the baseline, profiles the serving stages in-process, and writes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import re
import runpy
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence
from unittest import mock

import numpy as np

from model_training.canvas import Style, draw_digit
from model_training.data import load_mnist
from tests.support import children, free_port, stop_process_group

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG = PROJECT_ROOT / "gunicorn.conf.py"
SERVED_MODEL = PROJECT_ROOT / "saved_model" / "cnn.tflite"
BASELINE_MODEL = PROJECT_ROOT / "saved_model" / "cnn.keras"
RESULTS = PROJECT_ROOT / "bench" / "RESULTS.md"

SAMPLES = 200  # distinct PNGs, drawn before timing and sent in turn
SEED = 0
PAGE_SCRIPT = PROJECT_ROOT / "static" / "app.js"
PROFILE_CANVASES = {400: "desktop canvas", 840: "phone canvas at DPR 3"}  # whole canvases an API client may send
PROFILE_EXTRA = 50  # drawings per extra canvas size in the profile
PEN = 1 / 18  # pen width relative to the canvas side, as static/app.js draws
TOP_K = 3
HEADERS = {"Content-Type": "application/json"}
WARMUP_PER_CLIENT = 4  # untimed requests per client before each timed run
START_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 120.0
CORES = os.cpu_count() or 1


def page_export_size() -> int:
    """The side of the PNG the page sends for a digit (EXPORT_SIZE in static/app.js)."""
    return int(re.search(r"\bvar EXPORT_SIZE = (\d+)", PAGE_SCRIPT.read_text()).group(1))


LOAD_CANVAS = page_export_size()
PROFILE_ROUNDS = 3
BASELINE_PROFILE_SAMPLES = 20
PACKAGES = ("flask", "werkzeug", "gunicorn", "gevent", "ai-edge-litert", "numpy", "opencv-python-headless",
            "pillow", "tensorflow", "keras")

Result = tuple[float, int, bytes]  # seconds, HTTP status (0: connection error), answer body

GOAL_SERVER_P50_MS = 2.0
GOAL_SPEEDUP = 20.0
GOAL_REQUESTS = 10_000
GOAL_CLIENTS = 32
GOAL_RSS_MB = 150.0
GOAL_FIRST_ANSWER_S = 2.0


@dataclass(frozen=True)
class Sample:
    """One drawing: its MNIST label, canvas side, PNG bytes and the ready-to-send request body."""

    label: int
    canvas: int
    png: bytes
    body: bytes


@dataclass(frozen=True)
class RunResult:
    """The figures of one timed run against one server."""

    model: str
    requests: int
    clients: int
    elapsed_s: float
    latency_ms: np.ndarray
    server_ms: np.ndarray
    solo_server_ms: np.ndarray
    errors: Counter
    correct: int
    answered: int
    first_answer_s: float
    worker_rss_mb: list[float]
    worker_peak_mb: list[float]
    master_rss_mb: float
    server_cpu_s: list[float]
    client_cpu_s: float
    other_cpu_s: float

    @property
    def throughput(self) -> float:
        """Requests per second over the whole timed run."""
        return self.requests / self.elapsed_s

    @property
    def error_count(self) -> int:
        """Requests that failed: any non-200 answer, unreadable answer or connection error."""
        return sum(self.errors.values())


# ---- Requests ------------------------------------------------------------------------------


def page_style(rng: np.random.Generator, side: int) -> Style:
    """A drawing as the page makes it: black pen 1/18 of the side on white; size and place vary."""
    size = float(rng.uniform(0.4, 0.8))
    low, high = size / 2 + 0.05, 1 - size / 2 - 0.05
    center = (float(rng.uniform(low, high)), float(rng.uniform(low, high)))
    return Style(canvas=side, size=size, center=center, pen=PEN, look="white")


def request_body(png: bytes) -> bytes:
    """The JSON body the page sends for a PNG."""
    image = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return json.dumps({"image": image, "top_k": TOP_K}).encode()


def draw_samples(count: int, side: int, seed: int = SEED) -> list[Sample]:
    """`count` distinct MNIST test digits drawn as `side`x`side` canvas PNGs."""
    _, (x_test, y_test) = load_mnist()
    rng = np.random.default_rng([seed, side])
    samples = []
    for i in rng.choice(len(x_test), size=count, replace=False):
        png = draw_digit(x_test[i], page_style(rng, side))
        samples.append(Sample(int(y_test[i]), side, png, request_body(png)))
    return samples


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


# ---- The server ----------------------------------------------------------------------------


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


# ---- Load ----------------------------------------------------------------------------------


def client(port: int, samples: Sequence[Sample], tickets: Iterator[int], results: list[Result]) -> None:
    """One keep-alive connection sending requests until the shared tickets run out."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    for i in tickets:
        body = samples[i % len(samples)].body
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/predict", body, HEADERS)
            response = conn.getresponse()
            answer, status = response.read(), response.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            answer, status = type(exc).__name__.encode(), 0
        results[i] = (time.perf_counter() - start, status, answer)
    conn.close()


def send(port: int, samples: Sequence[Sample], requests: int, clients: int) -> tuple[list[Result], float, float]:
    """Send `requests` requests from `clients` threads; (results, wall seconds, client CPU seconds)."""
    results: list[Result] = [(0.0, 0, b"")] * requests
    tickets = iter(range(requests))  # next() on it is atomic under the GIL
    threads = [threading.Thread(target=client, args=(port, samples, tickets, results)) for _ in range(clients)]
    cpu, start = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - start, time.process_time() - cpu


def read_results(results: Sequence[Result],
                 samples: Sequence[Sample]) -> tuple[np.ndarray, np.ndarray, Counter, int, int]:
    """Latencies (ms), server times (ms), error kinds, correct and answered counts from raw results."""
    latency, server, errors, correct = [], [], Counter(), 0
    for i, (seconds, status, answer) in enumerate(results):
        latency.append(seconds * 1000)
        if status != 200:
            errors[f"HTTP {status}" if status else f"connection error ({answer.decode()})"] += 1
            continue
        try:
            reply = json.loads(answer)
            server.append(reply["timing_ms"]["total"])
            correct += reply["predictions"][0]["digit"] == samples[i % len(samples)].label
        except (ValueError, KeyError, IndexError, TypeError):
            errors["unreadable 200 answer"] += 1
    return np.array(latency), np.array(server), errors, correct, len(server)


def measure(model: Path, samples: Sequence[Sample], requests: int, clients: int, log_dir: Path) -> RunResult:
    """Start a server on `model`, time its first answer, load it, read its memory, stop it."""
    expected_workers = int(gunicorn_settings()["workers"])
    with Server(model, log_dir) as server:
        first = server.first_answer(samples[0].body)
        server.wait_for_workers(expected_workers)
        send(server.port, samples, clients * WARMUP_PER_CLIENT, clients)
        solo, _, _ = send(server.port, samples, min(len(samples), requests), 1)
        cpu, machine_cpu = server.worker_cpu_s(), busy_cpu_seconds()
        results, elapsed, client_cpu = send(server.port, samples, requests, clients)
        server_cpu = [seconds - cpu.get(pid, 0.0) for pid, seconds in server.worker_cpu_s().items()]
        other_cpu = busy_cpu_seconds() - machine_cpu - sum(server_cpu) - client_cpu
        workers = server.workers()
        rss = [status_mb(pid, "VmRSS") for pid in workers]
        peak = [status_mb(pid, "VmHWM") for pid in workers]
        master = status_mb(server.process.pid, "VmRSS")
    latency, server_ms, errors, correct, answered = read_results(results, samples)
    _, solo_ms, solo_errors, _, _ = read_results(solo, samples)
    errors.update({f"one-client pass, {kind}": count for kind, count in solo_errors.items()})
    return RunResult(model=model.name, requests=requests, clients=clients, elapsed_s=elapsed, latency_ms=latency,
                     server_ms=server_ms, solo_server_ms=solo_ms, errors=errors, correct=correct, answered=answered,
                     first_answer_s=first, worker_rss_mb=rss, worker_peak_mb=peak, master_rss_mb=master,
                     server_cpu_s=server_cpu, client_cpu_s=client_cpu, other_cpu_s=max(other_cpu, 0.0))


# ---- In-process profile --------------------------------------------------------------------


def parse_request(body: bytes) -> bytes:
    """What the API does before decoding: read the JSON body and the base64 data URL."""
    from recognition.decode import decode_base64_image

    return decode_base64_image(json.loads(body)["image"])


def time_each(function: Callable[[Any], Any], inputs: Sequence[Any], rounds: int = PROFILE_ROUNDS) -> np.ndarray:
    """Per input, the fastest of `rounds` calls of `function`, in microseconds."""
    best = np.full(len(inputs), np.inf)
    for _ in range(rounds):
        for i, value in enumerate(inputs):
            start = time.perf_counter()
            function(value)
            best[i] = min(best[i], (time.perf_counter() - start) * 1e6)
    return best


def profile(groups: dict[int, list[Sample]], model: Path, baseline: Path | None) -> dict[str, dict[int, float]]:
    """Median µs of each serving stage in this process, per canvas side."""
    from recognition import read_ink
    from recognition.classifier import Classifier
    from recognition.mnist_recipe import to_mnist

    classify = Classifier(model).probabilities
    rows: dict[str, dict[int, float]] = {}
    for side, group in groups.items():
        inks = [read_ink(s.png) for s in group]
        digits = [to_mnist(ink) for ink in inks]
        stages = [
            ("parse body: json.loads + base64", parse_request, [s.body for s in group]),
            ("read_ink: PNG → ink map", read_ink, [s.png for s in group]),
            ("to_mnist: ink map → 28×28", to_mnist, inks),
            (f"probabilities: {model.name} (LiteRT)", classify, digits),
        ]
        for name, function, inputs in stages:
            rows.setdefault(name, {})[side] = float(np.median(time_each(function, inputs)))
        rows.setdefault("sum of the stages", {})[side] = sum(rows[name][side] for name, _, _ in stages)
    if baseline is not None:
        digits = [to_mnist(read_ink(s.png)) for s in groups[LOAD_CANVAS][:BASELINE_PROFILE_SAMPLES]]
        micros = time_each(Classifier(baseline).probabilities, digits)
        rows[f"probabilities: {baseline.name} (model.predict)"] = {LOAD_CANVAS: float(np.median(micros))}
    return rows


# ---- Report --------------------------------------------------------------------------------


def machine(busy_share: float) -> dict[str, str]:
    """CPU model, cores, memory and OS of this machine, and how busy it was before the run."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_gib = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2
    return {
        "CPU": model,
        "cores": f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable by this process)",
        "RAM": f"{ram_gib:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "CPU in use in the second before the run": f"{busy_share:.0%}",
    }


def versions() -> dict[str, str]:
    """Python and the installed versions of the packages on the serving path."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def ms(values: np.ndarray) -> str:
    """p50 / p95 / p99 of milliseconds."""
    if values.size == 0:
        return "—"
    return " / ".join(f"{p:.2f}" for p in np.percentile(values, [50, 95, 99]))


def describe_errors(run: RunResult) -> str:
    """The error count, with its kinds when there are any."""
    if not run.errors:
        return "0"
    kinds = ", ".join(f"{kind}: {count}" for kind, count in run.errors.most_common())
    return f"{run.error_count} ({kinds})"


def figure_rows(run: RunResult) -> list[str]:
    """One run's column of the figures table."""
    share = f"{run.correct / run.answered:.1%} ({run.correct:,}/{run.answered:,})" if run.answered else "—"
    return [
        f"{run.requests:,}",
        str(run.clients),
        f"{run.elapsed_s:.1f}",
        f"**{run.throughput:.1f}**",
        ms(run.latency_ms),
        ms(run.server_ms),
        ms(run.solo_server_ms),
        describe_errors(run),
        share,
        f"{run.first_answer_s:.2f}",
        str(len(run.worker_rss_mb)),
        " / ".join(f"{x:.1f}" for x in run.worker_rss_mb),
        " / ".join(f"{x:.1f}" for x in run.worker_peak_mb),
        f"{run.master_rss_mb:.1f}",
        f"{sum(run.server_cpu_s) / run.requests * 1000:.2f}",
        " / ".join(f"{x:.2f}" for x in run.server_cpu_s),
        f"{run.client_cpu_s / run.requests * 1000:.2f}",
        f"{run.other_cpu_s:.1f} ({run.other_cpu_s / (run.elapsed_s * CORES):.0%} of the machine)",
    ]


FIGURES = [
    "requests",
    "concurrent clients",
    "wall time (s)",
    "throughput (requests/s)",
    "client latency p50 / p95 / p99 (ms)",
    "server time `timing_ms.total` p50 / p95 / p99 (ms)",
    "same, one client at a time (ms)",
    "errors",
    "top digit = label",
    "spawn → first answer (s)",
    "workers",
    "worker RSS after the run, each (MB)",
    "worker peak RSS (VmHWM), each (MB)",
    "master RSS (MB)",
    "worker CPU per request (ms)",
    "worker CPU in the timed run, each (s)",
    "client CPU per request (ms)",
    "CPU used by anything else during the timed run (s)",
]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def mark(passed: bool | None) -> str:
    """✅, ❌, or a dash when the goal was not measured."""
    return "—" if passed is None else ("✅" if passed else "❌")


def goals(run: RunResult, baseline: RunResult | None) -> list[list[str]]:
    """The goal rows: goal, target, measured, pass mark."""
    p50 = float(np.median(run.server_ms)) if run.server_ms.size else float("inf")
    ratio = run.throughput / baseline.throughput if baseline else None
    peak = max(run.worker_peak_mb)
    full = run.requests >= GOAL_REQUESTS and run.clients >= GOAL_CLIENTS
    return [
        ["server time per request p50 (`timing_ms.total`)", f"≤ {GOAL_SERVER_P50_MS:g} ms", f"{p50:.2f} ms",
         mark(p50 <= GOAL_SERVER_P50_MS)],
        ["throughput vs `model.predict` baseline", f"≥ {GOAL_SPEEDUP:g}×",
         f"{ratio:.1f}×" if ratio else "not measured", mark(ratio >= GOAL_SPEEDUP if ratio else None)],
        [f"{GOAL_REQUESTS:,} requests at {GOAL_CLIENTS} clients, zero errors", "0 errors",
         f"{run.error_count} errors in {run.requests:,} at {run.clients}", mark(full and run.error_count == 0)],
        ["worker memory (peak RSS, largest worker)", f"≤ {GOAL_RSS_MB:g} MB", f"{peak:.1f} MB",
         mark(peak <= GOAL_RSS_MB)],
        ["spawn → first answered prediction", f"≤ {GOAL_FIRST_ANSWER_S:g} s", f"{run.first_answer_s:.2f} s",
         mark(run.first_answer_s <= GOAL_FIRST_ANSWER_S)],
    ]


SETTINGS = ("workers", "worker_class", "threads", "worker_connections", "keepalive", "timeout", "preload_app")


def describe_gunicorn() -> str:
    """The gunicorn.conf.py settings that shape the load, and the access log."""
    conf = gunicorn_settings()
    listed = ", ".join(f"{key}={conf[key]}" for key in SETTINGS if key in conf)
    log = "off" if conf.get("accesslog") is None else f"to {conf['accesslog']}"
    return f"`{CONFIG.name}`: {listed}; access log {log}"


def settings_rows(samples: Sequence[Sample], args: argparse.Namespace) -> list[list[str]]:
    """The gunicorn and load settings as table rows."""
    body_kb = np.mean([len(s.body) for s in samples]) / 1000
    return [
        ["gunicorn", describe_gunicorn()],
        ["bind", "127.0.0.1, a free port; the clients run on the same machine and share its cores"],
        ["requests", f"{len(samples)} distinct PNGs of MNIST test digits drawn with `model_training.canvas` as the "
                     f"page sends them ({LOAD_CANVAS}×{LOAD_CANVAS}, black pen 1/18 of the side on white), sent "
                     f"in turn; mean body {body_kb:.1f} kB; top_k={TOP_K}"],
        ["clients", f"{args.clients} threads, one keep-alive `http.client.HTTPConnection` each; "
                    f"{WARMUP_PER_CLIENT} untimed warm-up requests per client before each timed run"],
        ["served model", f"`{rel(args.model)}` (LiteRT)"],
        ["baseline model", "not run" if args.no_baseline else f"`{rel(args.baseline_model)}` (Keras `model.predict`)"],
    ]


def machine_busy_share(seconds: float = 1.0) -> float:
    """The share of the machine's CPU in use over the next `seconds`."""
    start = busy_cpu_seconds()
    time.sleep(seconds)
    return (busy_cpu_seconds() - start) / (seconds * CORES)


def busy(before: float, runs: Sequence[RunResult]) -> bool:
    """Whether other work was using the CPU just before the benchmark or during a timed run."""
    return before > 0.1 or any(run.other_cpu_s > 0.05 * run.elapsed_s * CORES for run in runs)


def rel(path: Path) -> str:
    """A path relative to the project when inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def profile_table(stages: dict[str, dict[int, float]]) -> list[str]:
    """The profile as a markdown table, one column per canvas side."""
    sides = [LOAD_CANVAS, *PROFILE_CANVASES]
    header = ["stage", f"{LOAD_CANVAS}×{LOAD_CANVAS} (the page, the load)",
              *[f"{side}×{side} ({name})" for side, name in PROFILE_CANVASES.items()]]
    rows = [[name, *[f"{times[side]:,.0f}" if side in times else "—" for side in sides]]
            for name, times in stages.items()]
    return table(header, rows)


def report(run: RunResult, baseline: RunResult | None, baseline_note: str, samples: Sequence[Sample],
           stages: dict[str, dict[int, float]], before: float, args: argparse.Namespace, command: str) -> str:
    """The whole results page in markdown."""
    runs = [run] + ([baseline] if baseline else [])
    header = ["", f"LiteRT (`{run.model}`)"] + ([f"baseline (`{baseline.model}`, `model.predict`)"] if baseline else [])
    columns = [figure_rows(r) for r in runs]
    figures = [[name] + [col[i] for col in columns] for i, name in enumerate(FIGURES)]
    lines = [
        "# Load benchmark: the digit server on LiteRT against `model.predict`",
        "",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. Reproduce with `{command}`.",
        "",
        "## Machine",
        "",
        *table(["", ""], [[k, v] for k, v in machine(before).items()]),
        "",
        "## Versions",
        "",
        *table(["package", "version"], [[k, v] for k, v in versions().items()]),
        "",
        "## Settings",
        "",
        *table(["", ""], settings_rows(samples, args)),
        "",
        "## Figures",
        "",
        *table(header, figures),
        "",
    ]
    if busy(before, runs):
        lines += ["**Other processes were using the CPU before or during this run (see the machine's CPU use "
                  "before the run and the CPU used by anything else): the figures are pessimistic.**", ""]
    if baseline:
        lines += [f"Throughput LiteRT / baseline: **{run.throughput / baseline.throughput:.1f}×**.", ""]
    elif baseline_note:
        lines += [f"Baseline: {baseline_note}", ""]
    lines += [
        "Client latency is measured by each client around one request and answer, so with closed-loop clients "
        "it is mostly time queued behind the other clients' requests. Server time is the app's own "
        "`timing_ms.total` (reading the body, JSON and base64 parsing, PNG decoding, preprocessing and "
        "inference); under load it also holds any time the request waits while its worker serves others. "
        "Worker CPU per request is the workers' CPU time over the timed run divided by its requests; RSS is "
        "read from `/proc/<pid>/status`. "
        f"The one-client line comes from a pass over the {SAMPLES} PNGs, one request at a time, before the "
        "timed run on the same server.",
        "",
        "## Goals",
        "",
        *table(["goal", "target", "measured", ""], goals(run, baseline)),
        "",
        "## Where the server's time goes",
        "",
        "Each stage timed alone in the benchmark's process, without load (fastest of "
        f"{PROFILE_ROUNDS} calls per PNG), median µs over the PNGs; the larger canvases are not part of the "
        f"load ({PROFILE_EXTRA} drawings each) and show what a client sending its whole canvas costs:",
        "",
        *profile_table(stages),
        "",
    ]
    return "\n".join(lines)


# ---- Command line --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="timed requests to the LiteRT server")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--baseline-requests", type=int, default=1_000, help="timed requests to the baseline")
    parser.add_argument("--no-baseline", action="store_true", help="skip the model.predict baseline")
    parser.add_argument("--model", type=Path, default=SERVED_MODEL, help="the .tflite model to serve")
    parser.add_argument("--baseline-model", type=Path, default=BASELINE_MODEL, help="the .keras baseline model")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the markdown results")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.clients < 1 or args.baseline_requests < 1:
        parser.error("--requests, --clients and --baseline-requests must be positive")
    if not args.model.is_file():
        parser.error(f"model not found: {args.model}")
    return args


def baseline_problem(args: argparse.Namespace) -> str:
    """Why the baseline cannot run, or an empty string when it can."""
    if args.no_baseline:
        return "not run (--no-baseline)."
    if not args.baseline_model.is_file():
        return f"not run: {args.baseline_model} not found."
    if find_spec("keras") is None:
        return "not run: Keras/TensorFlow is not installed (`pip install -r requirements-train.txt`)."
    return ""


def reproduce_command(argv: Sequence[str]) -> str:
    """The command that repeats this run."""
    return "make bench" if not argv else ".venv/bin/python -m bench.load " + shlex.join(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks and the profile, print the results and write them to --output."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    sys.setswitchinterval(0.0005)  # hand the GIL over quickly so no client waits long to read its answer
    before = machine_busy_share()
    print(f"drawing {SAMPLES} canvas PNGs ...", flush=True)
    samples = draw_samples(SAMPLES, LOAD_CANVAS)
    with tempfile.TemporaryDirectory(prefix="bench-") as logs:
        print(f"LiteRT: {args.requests:,} requests, {args.clients} clients ...", flush=True)
        run = measure(args.model, samples, args.requests, args.clients, Path(logs))
        note, baseline = baseline_problem(args), None
        if not note:
            print(f"baseline: {args.baseline_requests:,} requests, {args.clients} clients ...", flush=True)
            baseline = measure(args.baseline_model, samples, args.baseline_requests, args.clients, Path(logs))
    print("profiling the serving stages ...", flush=True)
    groups = {LOAD_CANVAS: samples} | {side: draw_samples(PROFILE_EXTRA, side) for side in PROFILE_CANVASES}
    stages = profile(groups, args.model, args.baseline_model if baseline else None)
    text = report(run, baseline, note, samples, stages, before, args, reproduce_command(argv))
    print("\n" + text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"written to {rel(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
