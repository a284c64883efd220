"""The load benchmark's results page in markdown: machine, versions, settings, figures, goals, profile."""

from __future__ import annotations

import argparse
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Sequence

import numpy as np

from bench.measure import WARMUP_PER_CLIENT, RunResult
from bench.samples import LOAD_CANVAS, SAMPLES, TOP_K, Sample
from bench.server import CONFIG, CORES, PROJECT_ROOT, gunicorn_settings
from bench.stages import PROFILE_CANVASES, PROFILE_EXTRA, PROFILE_ROUNDS

PACKAGES = ("flask", "werkzeug", "gunicorn", "gevent", "ai-edge-litert", "numpy", "opencv-python-headless",
            "pillow", "tensorflow", "keras")

GOAL_SERVER_P50_MS = 2.0
GOAL_SPEEDUP = 20.0
GOAL_REQUESTS = 10_000
GOAL_CLIENTS = 32
GOAL_RSS_MB = 150.0
GOAL_FIRST_ANSWER_S = 2.0


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
