"""Throughput through nginx with one replica and with two: how far replicas scale on this machine.

    .venv/bin/python -m bench.replicas [--requests 3000] [--clients 32]

Each replica is `make run` with one gunicorn worker (a replica standing for one machine's worth
of cores: here, one core each), rate limits off; nginx balances them with deploy/nginx/digits.conf
(tests/nginx_proxy.py). The load is the load benchmark's (bench/measure.py): MNIST test digits
drawn as the page sends them, from keep-alive clients on this same machine. Prints requests per
second, latency and where the CPU went, since on a small machine the clients and nginx compete
with the replicas for it.
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import ExitStack
from typing import Sequence

import numpy as np

from bench.measure import read_results, send
from bench.samples import draw_samples
from bench.server import busy_cpu_seconds, cpu_seconds
from tests.nginx_proxy import nginx_balancer
from tests.support import Server, children

CANVAS = 160  # the page's export size
SAMPLES = 200
WARMUP = 300


def replica_cpu(replica: Server) -> float:
    """CPU seconds used by a replica's gunicorn master and workers."""
    masters = children(replica.process.pid) or [replica.process.pid]
    pids = [pid for master in masters for pid in [master, *children(master)]]
    return sum(cpu_seconds(pid) for pid in pids)


def measure(port: int, replicas: Sequence[Server], samples, requests: int, clients: int) -> dict[str, float]:
    """One timed run against `port`: throughput, latency and CPU shares."""
    send(port, samples, WARMUP, clients)
    replica_before = [replica_cpu(r) for r in replicas]
    machine_before = busy_cpu_seconds()
    results, wall, client_cpu = send(port, samples, requests, clients)
    machine = busy_cpu_seconds() - machine_before
    served = sum(replica_cpu(r) for r in replicas) - sum(replica_before)
    latency, _, errors, correct, answered = read_results(results, samples)
    return {
        "rps": requests / wall, "p50": float(np.percentile(latency, 50)), "p99": float(np.percentile(latency, 99)),
        "errors": sum(errors.values()), "accuracy": correct / max(answered, 1),
        "cores_busy": machine / wall, "replicas_cpu": served / wall, "client_cpu": client_cpu / wall,
        "rest_cpu": (machine - served - client_cpu) / wall,
    }


def row(name: str, figures: dict[str, float]) -> str:
    return (f"| {name} | {figures['rps']:.0f} | {figures['p50']:.1f} / {figures['p99']:.1f} | {figures['errors']:.0f} | "
            f"{figures['cores_busy']:.2f} | {figures['replicas_cpu']:.2f} | {figures['client_cpu']:.2f} | {figures['rest_cpu']:.2f} |")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args(argv)
    samples = draw_samples(SAMPLES, CANVAS)
    env = {"WEB_CONCURRENCY": "1", "DIGITS_RATE_LIMIT": "off", "LOG_LEVEL": "warning"}
    rows = []
    with ExitStack() as stack:
        replicas = [Server(env, log_name=f"bench-replica-{i}.log") for i in range(2)]
        for replica in replicas:
            stack.callback(replica.stop)
        direct = measure(replicas[0].port, replicas[:1], samples, args.requests, args.clients)
        rows.append(row("one replica, no nginx", direct))
        with nginx_balancer([replicas[0].port]) as url:
            one = measure(int(url.rsplit(":", 1)[1]), replicas[:1], samples, args.requests, args.clients)
        rows.append(row("nginx, one replica", one))
        with nginx_balancer([r.port for r in replicas]) as url:
            two = measure(int(url.rsplit(":", 1)[1]), replicas, samples, args.requests, args.clients)
        rows.append(row("nginx, two replicas", two))
    print(f"{args.requests} requests from {args.clients} keep-alive clients, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; each replica one gunicorn worker")
    print("| | requests/s | latency p50 / p99 ms | errors | cores busy | replicas | load clients | nginx and the rest |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"two replicas / one, through nginx: {two['rps'] / one['rps']:.2f}x")


if __name__ == "__main__":
    main()
