"""Two replicas (each `make run`) on one PostgreSQL and one Redis, behind nginx, all on loopback.

Shows: predictions answered by both; one client's rate limit counted across both (Redis); the
corrections both stored in one export; and, with one replica killed under load, nginx serving
every request from the other with no acknowledged correction lost and none stored twice (nginx
gives a correction without an Idempotency-Key its request id as one).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest

from tests.nginx_proxy import nginx_balancer
from tests.postgres import create_database
from tests.redis_server import redis_server
from tests.scrape import scrape, value
from tests.support import Server
from webapp import PROJECT_ROOT, openapi

pytestmark = pytest.mark.server

LIMIT = 60  # requests a minute per client, shared by every replica through Redis
SEVEN = openapi.document()["components"]["requestBodies"]["Drawing"]["content"]["application/json"]["example"]["image"]
PREDICT = json.dumps({"image": SEVEN}).encode()
JSON = {"Content-Type": "application/json"}


@dataclass
class Stack:
    url: str
    port: int
    replicas: list[Server]
    database: str


class Client:
    """One client: a keep-alive connection to nginx from its own loopback address."""

    def __init__(self, port: int, address: str):
        self.port, self.address = port, address
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes) -> tuple[int, dict, dict]:
        """(status, headers, JSON answer); status 0 when the connection failed."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
        try:
            self.conn.request("POST", path, body, JSON)
            response = self.conn.getresponse()
            return response.status, dict(response.getheaders()), json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.conn.close()
            self.conn = None
            return 0, {}, {"error": type(exc).__name__}


def correction(label: int = 7) -> bytes:
    return json.dumps({"image": SEVEN, "label": label}).encode()


def answered(replica: Server, path: str, status: str) -> float:
    return value(scrape(replica.url), "digits_http_requests_total", endpoint=path, method="POST", status=status)


@pytest.fixture(scope="module")
def stack(postgres_url, tmp_path_factory):
    database = create_database(postgres_url, "replicas")
    with redis_server() as redis_url:
        env = {"DATABASE_URL": database, "RATELIMIT_STORAGE_URI": redis_url, "DIGITS_RATE_LIMIT": f"{LIMIT} per minute",
               "DIGITS_TRUSTED_PROXIES": "1", "WEB_CONCURRENCY": "1"}
        with ThreadPoolExecutor(2) as pool:
            replicas = list(pool.map(lambda i: Server({**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("metrics"))},
                                                      log_name=f"replica-{i}.log"), range(2)))
        try:
            with nginx_balancer([r.port for r in replicas]) as url:
                yield Stack(url, int(url.rsplit(":", 1)[1]), replicas, database)
        finally:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(Server.stop, replicas))


def test_predictions_are_answered_by_both_replicas(stack):
    before = [answered(r, "/api/predict", "200") for r in stack.replicas]
    client = Client(stack.port, "127.0.0.2")
    for _ in range(20):
        status, _, answer = client.post("/api/predict", PREDICT)
        assert status == 200 and answer["predictions"][0]["digit"] == 7
    served = [answered(r, "/api/predict", "200") - b for r, b in zip(stack.replicas, before)]
    assert sum(served) == 20 and min(served) >= 5, served


def test_one_clients_limit_is_counted_across_both_replicas(stack):
    """A flooding client gets exactly LIMIT answers from the two replicas together, then 429s;
    another client is served normally. Counted per worker, the two would allow 2 x LIMIT."""
    before = [answered(r, "/api/predict", "429") for r in stack.replicas]
    flood, other = Client(stack.port, "127.0.0.9"), Client(stack.port, "127.0.0.3")
    statuses = []
    for i in range(LIMIT + 30):
        status, headers, answer = flood.post("/api/predict", b'{"top_k": 3}')  # cheap: no image, 400
        statuses.append(status)
        if status == 429:
            assert "too many requests" in answer["error"] and int(headers["Retry-After"]) >= 1
        if i % 10 == 0:
            assert other.post("/api/predict", PREDICT)[0] == 200
    assert statuses.count(400) == LIMIT and statuses.count(429) == 30, statuses
    refused = [answered(r, "/api/predict", "429") - b for r, b in zip(stack.replicas, before)]
    assert sum(refused) == 30 and min(refused) > 0, f"both replicas refuse from the shared count: {refused}"


def corrections_counted(replica: Server) -> float:
    samples = scrape(replica.url)
    return sum(value(samples, "digits_corrections_stored_total", label=str(label)) for label in range(10))


def test_corrections_from_both_replicas_are_in_one_export(stack, tmp_path):
    before = [answered(r, "/api/corrections", "201") for r in stack.replicas]
    counted_before = sum(corrections_counted(r) for r in stack.replicas)
    client = Client(stack.port, "127.0.0.4")
    for label in range(20):
        status, _, answer = client.post("/api/corrections", correction(label % 10))
        assert status == 201, answer
    stored = [answered(r, "/api/corrections", "201") - b for r, b in zip(stack.replicas, before)]
    assert min(stored) > 0, stored
    assert sum(corrections_counted(r) for r in stack.replicas) - counted_before == 20
    export = tmp_path / "corrections.npz"
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", "corrections", "export", str(export)],
                            cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": stack.database},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    with np.load(export) as data:
        assert sorted(data["y_train"].tolist()) == sorted(label % 10 for label in range(20))


def stored_keys(database: str) -> dict[int, str | None]:
    """Each stored correction's id and idempotency key."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(database)
    with engine.connect() as connection:
        keys = dict(connection.execute(sqlalchemy.text("SELECT id, idempotency_key FROM corrections")).all())
    engine.dispose()
    return keys


def stored_ids(database: str) -> set[int]:
    return set(stored_keys(database))


def test_nginx_gives_a_keyless_correction_a_key_of_its_own(stack):
    """A correction sent without an Idempotency-Key is stored under nginx's request id, so that a
    retry on the other replica is stored once; a client's own key is kept as it is."""
    client = Client(stack.port, "127.0.0.6")
    status, _, keyless = client.post("/api/corrections", correction())
    assert status == 201, keyless
    client.conn.request("POST", "/api/corrections", correction(), {**JSON, "Idempotency-Key": "client-key-1"})
    response = client.conn.getresponse()
    keyed = json.loads(response.read())
    assert response.status == 201, keyed
    keys = stored_keys(stack.database)
    assert re.fullmatch(r"[0-9a-f]{32}", keys[keyless["id"]]), keys[keyless["id"]]
    assert keys[keyed["id"]] == "client-key-1"


def test_one_replica_killed_under_load_loses_nothing(stack):
    """Eight clients send predictions and corrections while one replica is killed (SIGKILL, its
    whole process group): every request is answered 200/201 and every acknowledged correction
    is in the database."""
    per_client, clients = 50, 8  # under LIMIT a minute for each client
    results: list[tuple[int, str, dict]] = []
    quarter = threading.Event()

    def run(index: int) -> None:
        client = Client(stack.port, f"127.0.1.{index + 1}")
        for i in range(per_client):
            path, body = ("/api/corrections", correction()) if i % 5 == 0 else ("/api/predict", PREDICT)
            status, _, answer = client.post(path, body)
            results.append((status, path, answer))
            if len(results) >= per_client * clients // 4:
                quarter.set()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    assert quarter.wait(timeout=120), "the clients did not get a quarter of the way"
    victim = stack.replicas[0]
    os.killpg(victim.process.pid, signal.SIGKILL)
    at_kill = len(results)
    for thread in threads:
        thread.join()
    victim.process.wait(timeout=10)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", victim.port), timeout=5)

    errors = [(status, path, answer) for status, path, answer in results if status not in (200, 201)]
    assert len(results) == per_client * clients and len(results) - at_kill >= len(results) // 4, at_kill
    assert not errors, errors[:5]
    acknowledged = {answer["id"] for status, path, answer in results if status == 201}
    assert len(acknowledged) == per_client * clients // 5
    assert acknowledged <= stored_ids(stack.database), "an acknowledged correction was lost"
    assert None not in stored_keys(stack.database).values(), "a correction stored without a key could be stored twice"
    survivor = stack.replicas[1]
    assert Client(stack.port, "127.0.0.5").post("/api/predict", PREDICT)[0] == 200
    assert answered(survivor, "/api/predict", "200") > 0
