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
import shlex
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Sequence

from bench.measure import measure
from bench.report import rel, report
from bench.samples import LOAD_CANVAS, SAMPLES, draw_samples
from bench.server import PROJECT_ROOT, SERVED_MODEL, machine_busy_share
from bench.stages import PROFILE_CANVASES, PROFILE_EXTRA, profile

BASELINE_MODEL = PROJECT_ROOT / "saved_model" / "cnn.keras"
RESULTS = PROJECT_ROOT / "bench" / "RESULTS.md"


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
