"""Prometheus metrics at `GET /metrics`: requests, latency per stage, answers, corrections.

Under gunicorn every worker writes its samples to files in `PROMETHEUS_MULTIPROC_DIR` (set and
emptied by gunicorn.conf.py before the workers start) and `/metrics` adds them up, so one scrape
sees the whole server whichever worker answers it. Without that variable (the Flask test client,
`flask run`) the process's own registry is served.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess

bp = Blueprint("metrics", __name__)

STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

REQUESTS = Counter("digits_http_requests", "HTTP requests answered, by route, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("digits_http_request_duration_seconds", "Time to answer a request, by route.",
                    ["endpoint"], buckets=STAGE_BUCKETS)
STAGES = Histogram("digits_stage_duration_seconds",
                   "Time spent in each recognition stage: decode (bytes to ink map), preprocess (ink map "
                   "to 28x28), inference (the model), read (a whole number: segmentation and its digits).",
                   ["stage"], buckets=STAGE_BUCKETS)
ANSWERS = Counter("digits_answers", "Answers given, by endpoint and best digit ('not_a_digit' when flagged).",
                  ["endpoint", "digit"])
UNCERTAIN = Counter("digits_uncertain_answers", "Answers marked uncertain (top confidence under the threshold).",
                    ["endpoint"])
CORRECTIONS = Counter("digits_corrections_stored", "Corrections stored, by label.", ["label"])

UNMATCHED = "unmatched"  # paths no route knows share one label, so clients cannot grow the label set


def observe_stage(stage: str, seconds: float) -> None:
    """Record how long one recognition stage took."""
    STAGES.labels(stage).observe(seconds)


def count_answer(endpoint: str, digit: int, not_a_digit: bool, uncertain: bool) -> None:
    """Record one answer: its best digit (or not-a-digit) and whether it was uncertain."""
    ANSWERS.labels(endpoint, "not_a_digit" if not_a_digit else str(digit)).inc()
    if uncertain:
        UNCERTAIN.labels(endpoint).inc()


def count_correction(label: int | str) -> None:
    """Record one stored correction; the corrections endpoint calls this after its commit."""
    CORRECTIONS.labels(str(label)).inc()


def route() -> str:
    """The matched route's rule (`/api/predict`), never the raw path."""
    return request.url_rule.rule if request.url_rule is not None else UNMATCHED


def start_timer() -> None:
    """Note when the request began."""
    g.metrics_start = time.perf_counter()


def count_request(response: Response) -> Response:
    """Count the answered request by route, method and status, and time it (scrapes excepted)."""
    if request.path != "/metrics":
        endpoint = route()
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if "metrics_start" in g:
            LATENCY.labels(endpoint).observe(time.perf_counter() - g.metrics_start)
    return response


def registry() -> CollectorRegistry:
    """All workers' samples when running under gunicorn, else this process's registry."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text exposition of this server's samples."""
    return Response(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def register(app: Flask) -> None:
    """Serve /metrics and time and count every request."""
    app.register_blueprint(bp)
    app.before_request(start_timer)
    app.after_request(count_request)
