"""Server time of a written 4-digit number on `/api/number`, beside one digit on `/api/predict`.

    python -m bench.number [--numbers 60] [--write]

Starts the server as the tests do (`make run` on a free loopback port), sends each drawing one at
a time over a keep-alive connection as the page does (a base64 PNG in JSON) and reads
`timing_ms.total` from each answer (the server's own time) beside the wall time the client saw.
The numbers are 4 held-back MNIST test digits written on a page-sized canvas and cropped to their
ink as the page sends them (`model_training.numbers`), spaced, tight and touching; the same
drawings go through a second server reading numbers by segmentation alone, for comparison. With
--write, puts the figures in bench/RESULTS.md under their own heading.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import time

import numpy as np

from bench.photo import write
from model_training import numbers
from model_training.canvas import Style, draw_digit
from model_training.data import load_mnist
from tests.support import Server

HEADING = "## Whole numbers: a 4-digit number against one digit"
CANVAS_SIDE = 160  # the page's export size in digit mode


def as_json(png: bytes) -> bytes:
    return json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()}).encode()


def timed(connection: http.client.HTTPConnection, path: str, body: bytes) -> tuple[float, float, str, float]:
    """(server ms, wall ms, what was read, server ms spent decoding) of one request."""
    start = time.perf_counter()
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    wall = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise RuntimeError(f"status {response.status}: {answer}")
    read = answer["number"] if "number" in answer else str(answer["predictions"][0]["digit"])
    return answer["timing_ms"]["total"], wall, read, answer["timing_ms"].get("decode", np.nan)  # /api/predict times its steps differently


def run(count: int, env: dict[str, str] | None = None) -> dict[str, dict[str, float]]:
    """Time `count` numbers of each kind, and `count` single digits, through a fresh server (`env` added to its environment)."""
    mnist = load_mnist()
    x_test, y_test = numbers.held_back(mnist)
    rng = np.random.default_rng(4)
    cases = {}
    for kind in numbers.KINDS:
        written = numbers.make_numbers(mnist, kind, count, rng, (4, 4), numbers.PAGE_HEIGHT, crop=True)
        cases[f"4-digit number, {kind} (`/api/number`)"] = ("/api/number", [(as_json(w.png), w.text) for w in written])
    digits = [(as_json(draw_digit(x_test[i], Style(canvas=CANVAS_SIDE, size=0.7, pen=1 / 18))), str(y_test[i]))
              for i in range(count)]
    cases[f"one digit, {CANVAS_SIDE}x{CANVAS_SIDE} canvas (`/api/predict`)"] = ("/api/predict", digits)
    server = Server(env={"DIGITS_RATE_LIMIT": "off", **(env or {})}, log_name="bench-number.log")
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        results = {}
        for name, (path, requests) in cases.items():
            for body, _ in requests[:3]:  # warm up
                timed(connection, path, body)
            times = [timed(connection, path, body) for body, _ in requests]
            server_ms, wall_ms = np.array([t[0] for t in times]), np.array([t[1] for t in times])
            results[name] = {
                "requests": len(times),
                "server p50": np.percentile(server_ms, 50), "server p95": np.percentile(server_ms, 95),
                "wall p50": np.percentile(wall_ms, 50), "wall p95": np.percentile(wall_ms, 95),
                "right": np.mean([t[2] == text for t, (_, text) in zip(times, requests)]),
                "decode p50": np.percentile([t[3] for t in times], 50),
            }
        connection.close()
    finally:
        server.stop()
    return results


def table(results: dict[str, dict[str, float]], alone: dict[str, dict[str, float]], load: float) -> str:
    """The figures as a markdown section, beside those of segmentation alone; `load` is the load average at the start."""
    lines = [HEADING, "", f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `python -m bench.number --write`: "
             f"`make run` as configured, one request at a time over a keep-alive connection, {os.cpu_count()} cores, "
             f"load average {load:.1f} when the run began (other work on the machine slows every figure). Beside it, "
             "the same drawings through a second server started with `DIGITS_SEQUENCE_MODEL=` (segmentation alone).", "",
             "|  | requests | server `timing_ms.total` p50 / p95 (ms) | of which decoding, p50 (ms) "
             "| wall p50 / p95 (ms) | read right | segmentation alone: server p50 / p95 (ms), read right |",
             "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        a = alone[name]
        lines.append(f"| {name} | {r['requests']} | {r['server p50']:.2f} / {r['server p95']:.2f} "
                     f"| {_ms(r['decode p50'])} | {r['wall p50']:.2f} / {r['wall p95']:.2f} | {r['right']:.0%} "
                     f"| {a['server p50']:.2f} / {a['server p95']:.2f}, {a['right']:.0%} |")
    return "\n".join(lines) + "\n"


def _ms(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=60, help="numbers of each kind, and single digits")
    parser.add_argument("--write", action="store_true", help="put the figures in bench/RESULTS.md")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    section = table(run(args.numbers), run(args.numbers, {"DIGITS_SEQUENCE_MODEL": ""}), load)
    print(section)
    if args.write:
        write(section, HEADING)


if __name__ == "__main__":
    main()
