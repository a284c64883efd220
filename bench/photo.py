"""Server time of a 12-megapixel phone photo against a canvas PNG, through a real `make run` server.

    python -m bench.photo [--photos 10 --rounds 5 --canvases 50] [--write]

Starts the server as the tests do (`make run` on a free loopback port), sends each request one at a
time over a keep-alive connection and reads `timing_ms.total` from each answer (the server's own
time) beside the wall time the client saw. With --write, puts the figures in bench/RESULTS.md
under their own heading, leaving the rest of that file as it is.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import time
import uuid
from pathlib import Path

import numpy as np

from model_training import photos
from model_training.calibrate import validation_digits
from model_training.canvas import Style, draw_digit
from tests.support import Server

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Photos of paper: a 12-megapixel phone photo against a canvas"
CANVAS_SIDE = 160  # the page's export size


def multipart(jpeg: bytes) -> tuple[bytes, str]:
    """A multipart body holding `jpeg` in the field `file`, and its content type."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def timed(connection: http.client.HTTPConnection, body: bytes, content_type: str) -> tuple[float, float, int]:
    """(server ms, wall ms, top digit) of one /api/predict request."""
    start = time.perf_counter()
    connection.request("POST", "/api/predict", body=body, headers={"Content-Type": content_type})
    response = connection.getresponse()
    answer = json.loads(response.read())
    wall = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise RuntimeError(f"status {response.status}: {answer}")
    return answer["timing_ms"]["total"], wall, answer["predictions"][0]["digit"]


def run(photo_count: int, rounds: int, canvas_count: int) -> dict[str, dict[str, float]]:
    """Time the photos (each sent `rounds` times) and the canvases through a fresh server."""
    _, x_val, y_val = validation_digits()
    rng = np.random.default_rng(0)
    jpegs = [photos.digit_photo(x_val[i], "plain", rng, photos.TWELVE_MP, quality=95) for i in range(photo_count)]
    pngs = [draw_digit(x_val[i], Style(canvas=CANVAS_SIDE, size=0.7, pen=1 / 18)) for i in range(canvas_count)]
    cases = {
        "12 MP photo (multipart JPEG)": [(*multipart(j), y_val[i]) for _ in range(rounds) for i, j in enumerate(jpegs)],
        f"canvas ({CANVAS_SIDE}x{CANVAS_SIDE} PNG, JSON)": [
            (json.dumps({"image": "data:image/png;base64," + base64.b64encode(p).decode()}).encode(),
             "application/json", y_val[i]) for i, p in enumerate(pngs)],
    }
    server = Server(env={"DIGITS_RATE_LIMIT": "off"}, log_name="bench-photo.log")
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        results = {}
        for name, requests in cases.items():
            for body, content_type, _ in requests[:3]:  # warm up
                timed(connection, body, content_type)
            times = [timed(connection, body, content_type) for body, content_type, _ in requests]
            server_ms, wall_ms = np.array([t[0] for t in times]), np.array([t[1] for t in times])
            results[name] = {
                "requests": len(times),
                "mean body (kB)": np.mean([len(b) for b, _, _ in requests]) / 1000,
                "server p50": np.percentile(server_ms, 50), "server p95": np.percentile(server_ms, 95),
                "wall p50": np.percentile(wall_ms, 50), "wall p95": np.percentile(wall_ms, 95),
                "right": np.mean([t[2] == r[2] for t, r in zip(times, requests)]),
            }
        connection.close()
    finally:
        server.stop()
    return results


def table(results: dict[str, dict[str, float]], load: float) -> str:
    """The figures as a markdown section; `load` is the machine's load average when the run began."""
    lines = [HEADING, "", f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `python -m bench.photo --write`: "
             f"`make run` as configured, one request at a time over a keep-alive connection, {os.cpu_count()} cores, "
             f"load average {load:.1f} when the run began (other work on the machine slows every figure).", "",
             "|  | requests | mean body (kB) | server `timing_ms.total` p50 / p95 (ms) | wall p50 / p95 (ms) | top digit = label |",
             "|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['requests']} | {r['mean body (kB)']:,.0f} "
                     f"| {r['server p50']:.1f} / {r['server p95']:.1f} "
                     f"| {r['wall p50']:.1f} / {r['wall p95']:.1f} | {r['right']:.0%} |")
    return "\n".join(lines) + "\n"


def write(section: str, heading: str = HEADING) -> None:
    """Replace a benchmark's section of RESULTS.md (or append it), leaving the rest alone."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    start = text.find(heading)
    if start < 0:
        RESULTS.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + len(heading))
    RESULTS.write_text(text[:start] + section + ("" if end < 0 else "\n" + text[end + 1:]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=10, help="distinct 12 MP photos")
    parser.add_argument("--rounds", type=int, default=5, help="times each photo is sent")
    parser.add_argument("--canvases", type=int, default=50, help="canvas drawings, each sent once")
    parser.add_argument("--write", action="store_true", help="put the figures in bench/RESULTS.md")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    section = table(run(args.photos, args.rounds, args.canvases), load)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
