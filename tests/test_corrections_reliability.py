"""No acknowledged correction is lost: many clients write through every gunicorn worker of a real
`make run` server while one worker is killed; after a restart, the export holds every correction
that was answered 201. And none is stored twice: the same Idempotency-Key sent at once from many
clients, through every worker, is stored once. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from model_training import canvas
from tests.support import Server, children, data_url, post_json
from webapp import create_app

pytestmark = pytest.mark.server

CORRECTIONS = 240
CLIENTS = 12
KILL_AFTER = 80  # answers received before a worker is killed
WORKERS = 3


def workers_of(server: Server) -> list[int]:
    """The gunicorn workers: children of the master, which is the child of `make`."""
    return [pid for master in children(server.process.pid) for pid in children(master)]


def wait_for_workers(server: Server, count: int, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = workers_of(server)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"expected {count} workers, found {workers_of(server)}")


def send_while_killing_a_worker(server: Server, bodies: list[dict]) -> tuple[list[int], int]:
    """Send every body from CLIENTS threads; SIGKILL one worker after KILL_AFTER answers.
    Returns the ids answered 201 and the pid killed."""
    victim = wait_for_workers(server, WORKERS)[0]
    answered = 0
    lock = threading.Lock()
    kill_now = threading.Event()

    def send(body: dict) -> tuple[int, dict]:
        nonlocal answered
        result = post_json(server.url + "/api/corrections", body, timeout=60)
        with lock:
            answered += 1
            if answered == KILL_AFTER:
                kill_now.set()
        return result

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(send, body) for body in bodies]
        assert kill_now.wait(timeout=120), "the load never reached the kill point"
        os.kill(victim, signal.SIGKILL)
        results = [future.result() for future in futures]
    statuses = {status for status, _ in results}
    assert statuses <= {201, 0, 503}, statuses  # a dead connection or a refusal, never a false success
    return [answer["id"] for status, answer in results if status == 201], victim


def export(url: str, path) -> set[int]:
    """The ids in a `flask corrections export` of the database."""
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    result = app.test_cli_runner().invoke(args=["corrections", "export", str(path)])
    assert result.exit_code == 0, result.output
    with np.load(path) as npz:
        return set(npz["id_train"].tolist()) | set(npz["id_not_a_digit"].tolist())


def test_one_key_sent_at_once_by_many_clients_is_stored_once(database, mnist, tmp_path):
    url, kind = database, database.split(":")[0]
    _, (x_test, y_test) = mnist
    keys = [uuid.uuid4().hex for _ in range(5)]
    sends = [(key, {"image": data_url(canvas.draw_digit(x_test[k], canvas.Style())), "label": int(y_test[k])})
             for k, key in enumerate(keys) for _ in range(CLIENTS)]
    server = Server(env={"DATABASE_URL": url, "WEB_CONCURRENCY": str(WORKERS)}, log_name=f"idempotency-{kind}.log")
    try:
        wait_for_workers(server, WORKERS)
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(lambda send: post_json(server.url + "/api/corrections", send[1], timeout=60,
                                                           headers={"Idempotency-Key": send[0]}), sends))
    finally:
        server.stop()
    assert {status for status, _ in results} == {201}, results
    ids = {}
    for (key, _), (_, answer) in zip(sends, results):
        ids.setdefault(key, set()).add(answer["id"])
    assert all(len(found) == 1 for found in ids.values()), ids  # every retry answered the first id
    assert export(url, tmp_path / "corrections.npz") == set().union(*ids.values())  # five rows, no more


def test_every_acknowledged_correction_survives_a_killed_worker_and_a_restart(database, mnist, tmp_path):
    url, kind = database, database.split(":")[0]
    _, (x_test, y_test) = mnist
    drawings = [data_url(canvas.draw_digit(x_test[i], canvas.Style())) for i in range(20)]
    bodies = [{"image": drawings[i % 20], "label": "not_a_digit" if i % 25 == 0 else int(y_test[i % 20])}
              for i in range(CORRECTIONS)]
    env = {"DATABASE_URL": url, "WEB_CONCURRENCY": str(WORKERS)}

    server = Server(env=env, log_name=f"corrections-{kind}.log")
    try:
        acknowledged, killed = send_while_killing_a_worker(server, bodies)
        replaced = wait_for_workers(server, WORKERS)
        assert killed not in replaced  # gunicorn replaced the killed worker
    finally:
        server.stop()
    assert len(acknowledged) >= CORRECTIONS * 0.8, f"only {len(acknowledged)} of {CORRECTIONS} answered 201"
    assert len(set(acknowledged)) == len(acknowledged)

    again = Server(env=env, log_name=f"corrections-{kind}-restart.log")
    try:
        status, answer = post_json(again.url + "/api/corrections", bodies[1], timeout=60)
        assert status == 201
    finally:
        again.stop()

    stored = export(url, tmp_path / "corrections.npz")
    lost = set(acknowledged) - stored
    print(f"{kind}: {len(acknowledged)} of {CORRECTIONS} answered 201 with worker {killed} killed; lost {len(lost)}")
    assert not lost
    assert answer["id"] in stored
