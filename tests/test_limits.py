"""Per-client rate limits on /api/*: a flooding client gets 429s, another is served; proxies trusted only when told."""

from __future__ import annotations

import pytest

from tests.support import bad_requests, free_port
from webapp import create_app

LIMIT = "5 per minute"


def limited_app(**config):
    return create_app({"TESTING": True, "RATE_LIMIT": LIMIT, "RATELIMIT_STORAGE_URI": "memory://", **config})


def send(client, address: str = "203.0.113.7", **headers):
    """A cheap /api/predict request (a body without an image: 400) from `address`."""
    return client.post("/api/predict", json={"top_k": 3}, headers=headers, environ_base={"REMOTE_ADDR": address})


def test_a_flooding_client_gets_429_with_json_and_retry_after_while_another_is_served():
    client = limited_app().test_client()
    statuses = [send(client).status_code for _ in range(8)]
    assert statuses == [400] * 5 + [429] * 3
    refused = send(client)
    assert refused.status_code == 429
    assert refused.is_json and "too many requests" in refused.get_json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert send(client, "198.51.100.20").status_code == 400  # another client: its own count


def test_every_api_endpoint_shares_one_count_and_pages_are_not_limited():
    client = limited_app().test_client()
    for _ in range(5):
        assert send(client).status_code == 400
    assert client.post("/api/number", json={}, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 429
    for path in ("/", "/healthz"):
        assert client.get(path, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200


def test_off_disables_the_limits():
    client = limited_app(RATE_LIMIT="off").test_client()
    assert {send(client).status_code for _ in range(30)} == {400}


def test_forwarded_addresses_are_ignored_unless_proxies_are_trusted():
    client = limited_app().test_client()
    spoofed = [send(client, **{"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(8)]
    assert spoofed.count(429) == 3, "a client must not escape its limit by inventing X-Forwarded-For"

    behind_proxy = limited_app(TRUSTED_PROXIES="1").test_client()
    proxied = [send(behind_proxy, "127.0.0.1", **{"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(8)]
    assert proxied == [400] * 8, "behind a trusted proxy each forwarded client has its own count"
    flood = [send(behind_proxy, "127.0.0.1", **{"X-Forwarded-For": "192.0.2.99"}).status_code for _ in range(7)]
    assert flood == [400] * 5 + [429] * 2


def test_unreachable_redis_falls_back_to_counting_in_memory():
    client = limited_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0").test_client()
    assert [send(client).status_code for _ in range(7)] == [400] * 5 + [429] * 2
    assert client.get("/healthz").status_code == 200


def test_bad_settings_are_refused_at_start():
    with pytest.raises(ValueError):
        limited_app(TRUSTED_PROXIES="all")


def test_hostile_bodies_are_counted_and_refused_as_before():
    client = limited_app(RATE_LIMIT="100 per minute").test_client()
    for name, (status, kwargs) in bad_requests().items():
        response = client.post("/api/predict", environ_base={"REMOTE_ADDR": "203.0.113.8"}, **kwargs)
        assert response.status_code == status, name
