"""GET /metrics on the real server (gunicorn, every worker): counts match the requests sent."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
from collections import Counter

import numpy as np
import pytest

from model_training import canvas
from tests.scrape import scrape, value
from tests.support import HASH_SIGN, STAR, bad_requests, children, data_url, held_back_digits

pytestmark = pytest.mark.server

def post(url: str, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url + path, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def drawings(mnist) -> list[bytes]:
    """Forty held-back digits and two symbols, drawn as the page draws them."""
    rng = np.random.default_rng(14)
    digits, _ = held_back_digits(mnist, 40, offset=7100)
    shapes = [canvas.draw_digit(digit, canvas.random_style(rng, 280)) for digit in digits]
    return shapes + [canvas.to_png(canvas.render(paths, canvas.random_style(rng, 280))) for paths in (HASH_SIGN, STAR)]


def test_metrics_count_what_every_worker_answered(server, mnist):
    before = scrape(server.url)
    statuses: Counter = Counter()
    answers: Counter = Counter()
    uncertain = 0
    for png in drawings(mnist):
        status, body = post(server.url, "/api/predict", json.dumps({"image": data_url(png)}).encode())
        assert status == 200, body
        statuses[200] += 1
        answers["not_a_digit" if body["not_a_digit"] else str(body["predictions"][0]["digit"])] += 1
        uncertain += body["uncertain"]
    for name, (status, kwargs) in bad_requests().items():
        if status == 413:
            continue  # a client still sending when refused may see a reset instead: test_hostile_input's business
        if "json" in kwargs:
            code, _ = post(server.url, "/api/predict", json.dumps(kwargs["json"]).encode())
        elif isinstance(kwargs.get("data"), bytes):
            code, _ = post(server.url, "/api/predict", kwargs["data"], kwargs["content_type"])
        else:
            continue
        assert code == status, name
        statuses[code] += 1
    after = scrape(server.url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    for status, count in statuses.items():
        assert delta("digits_http_requests_total", endpoint="/api/predict", method="POST", status=str(status)) == count
    assert delta("digits_http_request_duration_seconds_count", endpoint="/api/predict") == sum(statuses.values())
    for stage in ("decode", "preprocess", "inference"):
        assert delta("digits_stage_duration_seconds_count", stage=stage) == statuses[200], stage
    assert delta("digits_stage_duration_seconds_sum", stage="inference") > 0
    for label in [str(d) for d in range(10)] + ["not_a_digit"]:
        assert delta("digits_answers_total", endpoint="predict", digit=label) == answers[label], label
    assert answers["not_a_digit"] >= 1 and len(answers) >= 8
    assert delta("digits_uncertain_answers_total", endpoint="predict") == uncertain


def test_unknown_paths_share_one_label(server):
    before = scrape(server.url)
    for i in range(5):
        try:
            urllib.request.urlopen(f"{server.url}/no/such/page/{i}", timeout=10)
        except urllib.error.HTTPError as error:
            assert error.code == 404
    after = scrape(server.url)
    key = ("digits_http_requests_total", frozenset({"endpoint": "unmatched", "method": "GET", "status": "404"}.items()))
    assert after.get(key, 0) - before.get(key, 0) == 5
    assert not any("/no/such" in str(labels) for _, labels in after)


def test_counts_survive_a_worker_that_dies(server):
    """A worker killed and replaced by gunicorn leaves its counts in the shared view."""
    def healthz_count() -> float:
        return value(scrape(server.url), "digits_http_requests_total", endpoint="/healthz", method="GET", status="200")

    start = healthz_count()
    for _ in range(20):
        urllib.request.urlopen(server.url + "/healthz", timeout=10).read()
    assert healthz_count() == start + 20
    master = int(re.search(r"Listening at: \S+ \((\d+)\)", server.log_path.read_text()).group(1))
    workers = children(master)
    assert workers, "gunicorn workers not found"
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(children(master)) < len(workers) or workers[0] in children(master)):
        time.sleep(0.2)
    assert healthz_count() == start + 20
