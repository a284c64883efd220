"""Per-client rate limits on `/api/*` (Flask-Limiter), and which proxies may name the client.

`DIGITS_RATE_LIMIT` sets the limits ("20 per second; 600 per minute" by default, generous for a
person drawing; `off` disables them, as load benchmarks do). Counts live in each worker's memory
unless `RATELIMIT_STORAGE_URI` (e.g. `redis://host:6379`) makes workers and replicas share them;
while that storage is unreachable, each worker counts in memory again and nothing is refused for it.
The client is the connection's address; `DIGITS_TRUSTED_PROXIES` (the number of proxies in front)
lets Werkzeug's ProxyFix take it from `X-Forwarded-For` instead, and only then.
"""

from __future__ import annotations

import math
import os
import time

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.errors import json_error

DEFAULT_RATE_LIMIT = "20 per second; 600 per minute"
LIMITED_PREFIX = "/api/"


def trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address, scheme and host from the headers of `hops` trusted proxies."""
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def read_hops(value: str) -> int:
    """`DIGITS_TRUSTED_PROXIES`: a count of proxies, empty or 0 for none."""
    value = value.strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ValueError(f"DIGITS_TRUSTED_PROXIES must be a number of proxies, not {value!r}")
    return int(value)


def register(app: Flask) -> Limiter | None:
    """Trust the configured proxies and limit each client's `/api/*` requests; None when off."""
    trust_proxies(app, read_hops(app.config.get("TRUSTED_PROXIES", os.environ.get("DIGITS_TRUSTED_PROXIES", ""))))
    limits = app.config.get("RATE_LIMIT", os.environ.get("DIGITS_RATE_LIMIT", DEFAULT_RATE_LIMIT)).strip()
    if limits.lower() in ("off", ""):
        return None
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # storage down: serve rather than fail,
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)  # counting in memory meanwhile
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK", limits)
    limiter = Limiter(get_remote_address, app=app, application_limits=[limits], key_prefix="digits")

    @limiter.request_filter
    def outside_the_api() -> bool:
        return not request.path.startswith(LIMITED_PREFIX)

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(exc: RateLimitExceeded) -> tuple[Response, int]:
        response, status = json_error(f"too many requests: the limit is {exc.description}; try again later", 429)
        current = limiter.current_limit
        wait = current.window.reset_time - time.time() if current else 1
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response, status

    return limiter
