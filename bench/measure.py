"""One timed run: keep-alive clients load a fresh server, and its latency, CPU and memory figures are read."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from bench.samples import Sample
from bench.server import HEADERS, Server, busy_cpu_seconds, gunicorn_settings, status_mb

WARMUP_PER_CLIENT = 4  # untimed requests per client before each timed run
REQUEST_TIMEOUT_S = 120.0

Result = tuple[float, int, bytes]  # seconds, HTTP status (0: connection error), answer body


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
