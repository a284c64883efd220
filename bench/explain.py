"""Server time of `/api/explain` beside `/api/predict`, one request at a time, on the real server.

    python -m bench.explain [--requests 200]

Starts the app with `make run` (gunicorn, the shipped models, rate limits off) on a free
loopback port, sends the same page-sized canvas drawings of MNIST test digits to both routes in
turn after a warm-up (interleaved, so both see the same machine), and prints the server's own
`timing_ms` percentiles and the workers' CPU time per request (clock ticks summed over the run)
as a Markdown table for bench/RESULTS.md.
The machine may be shared: the share of CPU in use just before the run is printed too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import time
from datetime import datetime, timezone

import numpy as np

from bench.samples import LOAD_CANVAS, draw_samples
from bench.server import HEADERS, busy_cpu_seconds, cpu_seconds
from tests.support import Server, children

ROUTES = ("/api/predict", "/api/explain")
WARMUP = 10


def timing(port: int, route: str, body: bytes) -> dict[str, float]:
    """POST one body and return the answer's `timing_ms`; any other answer than 200 raises."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", route, body, HEADERS)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{route} answered {response.status}: {data[:200]!r}")
    return json.loads(data)["timing_ms"]


def others_cpu_share(seconds: float = 1.0) -> float:
    """Share of all cores busy over `seconds`, before the run starts."""
    before = busy_cpu_seconds()
    time.sleep(seconds)
    return (busy_cpu_seconds() - before) / seconds / (os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Server time of /api/explain beside /api/predict.")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    samples = draw_samples(args.requests, LOAD_CANVAS)
    server = Server(env={"DIGITS_RATE_LIMIT": "off", "ACCESS_LOG": ""}, log_name="bench-explain.log")
    try:
        for sample in samples[:WARMUP]:
            for route in ROUTES:
                timing(server.port, route, sample.body)
        busy = others_cpu_share()
        workers = [worker for master in children(server.process.pid) for worker in children(master)]
        times: dict[str, list[dict[str, float]]] = {route: [] for route in ROUTES}
        cpu_s = dict.fromkeys(ROUTES, 0.0)
        for sample in samples:
            for route in ROUTES:
                before = sum(cpu_seconds(pid) for pid in workers)
                times[route].append(timing(server.port, route, sample.body))
                cpu_s[route] += sum(cpu_seconds(pid) for pid in workers) - before
        cpu_ms = {route: cpu_s[route] / len(samples) * 1000 for route in ROUTES}
    finally:
        server.stop()
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {args.requests} drawings "
          f"({LOAD_CANVAS}x{LOAD_CANVAS} PNG), one request at a time; CPU in use before the run: {busy:.0%}, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| route | part | p50 (ms) | p95 (ms) |\n|---|---|---|---|")
    for route, rows in times.items():
        for part in rows[0]:
            values = [row[part] for row in rows]
            print(f"| `{route}` | {part} | {np.percentile(values, 50):.2f} | {np.percentile(values, 95):.2f} |")
        print(f"| `{route}` | worker CPU per request (mean) | {cpu_ms[route]:.2f} | |")


if __name__ == "__main__":
    main()
