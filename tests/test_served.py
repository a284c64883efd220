"""The real server, started with `make run` (gunicorn, the shipped model), over HTTP."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from model_training import canvas
from model_training.canvas import Style
from tests.support import children, data_url, held_back_digits, post_json

pytestmark = pytest.mark.server

# Browser exports people make: phone canvases at DPR 3 and desktop ones, pens from thin to thick.
PHONE, DESKTOP = 1170, 400


def drawing_styles(rng: np.random.Generator, count: int) -> list[Style]:
    """Every combination people produce: phone and desktop, thin to thick, small to large, off-centre, 3 looks."""
    styles = []
    for i in range(count):
        size = float(rng.choice([0.2, 0.35, 0.55, 0.8]))
        margin = size / 2 + 0.03
        styles.append(Style(
            canvas=PHONE if i % 2 else DESKTOP,
            size=size,
            center=(float(rng.uniform(margin, 1 - margin)), float(rng.uniform(margin, 1 - margin))),
            pen=float(rng.choice([0.012, 0.03, 0.055, 0.09])) * max(size / 0.6, 0.4),
            look=canvas.LOOKS[i % 3],
        ))
    return styles


def test_drawings_are_recognised_by_the_served_app(server, mnist):
    digits, labels = held_back_digits(mnist, 400, offset=3000)
    styles = drawing_styles(np.random.default_rng(97), len(labels))
    wrong = []
    for digit, label, style in zip(digits, labels, styles):
        status, body = post_json(server.url + "/api/predict", {"image": data_url(canvas.draw_digit(digit, style))})
        assert status == 200, body
        if body["predictions"][0]["digit"] != label:
            wrong.append((int(label), body["predictions"][0]["digit"], style))
    accuracy = 1 - len(wrong) / len(labels)
    print(f"\n{len(labels)} drawings through the served app: {accuracy:.1%}")
    assert accuracy >= 0.97, wrong[:20]


def test_served_errors_are_json_and_headers_are_set(server):
    status, body = post_json(server.url + "/api/predict", {"image": "data:image/png;base64,AAAA"})
    assert status == 400 and "error" in body
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        headers = response.headers
        page = response.read().decode()
    assert "<canvas" in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


def loads_litert(pid: int) -> bool:
    return "ai_edge_litert" in Path(f"/proc/{pid}/maps").read_text()


def test_model_is_loaded_in_each_worker_never_in_the_master(server):
    log = server.log_path.read_text()
    master = int(re.search(r"Listening at: \S+ \((\d+)\)", log).group(1))
    workers = children(master)
    assert len(workers) == (os.cpu_count() or 1)
    assert not loads_litert(master)
    assert all(loads_litert(worker) for worker in workers)
