"""The real gunicorn server under random, mutated and slow requests: never a 5xx, never a dropped
connection, and real digits sent in between still get the right answer."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from model_training import canvas
from model_training.canvas import Style
from tests.support import data_url, held_back_digits, over_the_limit

pytestmark = pytest.mark.server

FUZZ_REQUESTS = 3000
CONTENT_TYPES = ["application/json", "multipart/form-data; boundary=xyz", "text/plain", "image/png", "",
                 "application/json; charset=utf-16", "application/x-www-form-urlencoded"]


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None,
            timeout: float = 15.0) -> tuple[int, bytes]:
    """One request on a fresh connection; raises if the connection drops without an answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def predict(port: int, png: bytes) -> int:
    status, body = request(port, "POST", "/api/predict", json.dumps({"image": data_url(png)}).encode(),
                           {"Content-Type": "application/json"})
    assert status == 200, body[:200]
    return json.loads(body)["predictions"][0]["digit"]


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """Flip, drop, insert or truncate bytes."""
    buffer = bytearray(data)
    for _ in range(int(rng.integers(1, 10))):
        if not buffer:
            break
        i = int(rng.integers(0, len(buffer)))
        action = rng.integers(0, 4)
        if action == 0:
            buffer[i] ^= 1 << int(rng.integers(0, 8))
        elif action == 1:
            del buffer[i:i + int(rng.integers(1, 64))]
        elif action == 2:
            buffer[i:i] = rng.bytes(int(rng.integers(1, 64)))
        else:
            del buffer[i:]
    return bytes(buffer)


def random_json(rng: np.random.Generator, depth: int = 0):
    kind = rng.integers(0, 7 if depth < 4 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return float(rng.normal() * 1e6)
    if kind == 2:
        return int(rng.integers(-(2 ** 62), 2 ** 62))
    if kind == 3:
        return rng.bytes(int(rng.integers(0, 40))).decode("latin-1")
    if kind == 4:
        return [random_json(rng, depth + 1) for _ in range(int(rng.integers(0, 5)))]
    keys = ["image", "top_k", "file", "x"]
    return {str(rng.choice(keys)): random_json(rng, depth + 1) for _ in range(int(rng.integers(0, 4)))}


def hostile_request(rng: np.random.Generator, pngs: list[bytes]) -> tuple[str, str, bytes, dict]:
    """A random bad or odd request: mutated images, random JSON, random bytes, odd routes."""
    png = pngs[int(rng.integers(0, len(pngs)))]
    kind = int(rng.integers(0, 7))
    json_headers = {"Content-Type": "application/json"}
    if kind == 0:
        body = json.dumps({"image": data_url(mutate(png, rng)), "top_k": int(rng.integers(-2, 13))})
        return "POST", "/api/predict", body.encode(), json_headers
    if kind == 1:
        body = json.dumps({"image": mutate(data_url(png).encode(), rng).decode("latin-1")})
        return "POST", "/api/predict", body.encode(), json_headers
    if kind == 2:
        return "POST", "/api/predict", json.dumps(random_json(rng)).encode(), json_headers
    if kind == 3:
        headers = {"Content-Type": str(rng.choice(CONTENT_TYPES))}
        return "POST", "/api/predict", rng.bytes(int(rng.integers(0, 5000))), headers
    if kind == 4:
        boundary = "fuzzboundary"
        part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + mutate(png, rng) + f"\r\n--{boundary}--\r\n".encode()
        return "POST", "/api/predict", mutate(part, rng) if rng.random() < 0.3 else part, \
            {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if kind == 5:
        body = json.dumps({"image": base64.b64encode(mutate(png, rng)).decode(), "top_k": str(rng.integers(0, 20))})
        return "POST", "/api/predict", body.encode(), json_headers
    method = str(rng.choice(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]))
    path = str(rng.choice(["/api/predict", "/healthz", "/", "/static/app.js", "/static/../webapp/api.py",
                           "/%00", "/api/predict?top_k=99", "/" + "a" * 2000]))
    return method, path, b"", {}


@pytest.fixture(scope="module")
def real_digits(server, mnist):
    """Standard drawings of 20 test digits, with the answers the server gives them."""
    digits, labels = held_back_digits(mnist, 20, offset=500)
    pngs = [canvas.draw_digit(d, Style(look=canvas.LOOKS[i % 3])) for i, d in enumerate(digits)]
    answers = [predict(server.port, png) for png in pngs]
    assert sum(a == label for a, label in zip(answers, labels)) >= 19
    return pngs, answers


def test_fuzz_run(server, real_digits):
    pngs, answers = real_digits
    rng = np.random.default_rng(1234)
    plan = [hostile_request(rng, pngs) for _ in range(FUZZ_REQUESTS)]

    def send(i: int):
        if i % 10 == 0:  # a real digit between the hostile requests
            k = (i // 10) % len(pngs)
            return "digit", predict(server.port, pngs[k]) == answers[k]
        method, path, body, headers = plan[i]
        status, _ = request(server.port, method, path, body, headers)
        return "hostile", status

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(FUZZ_REQUESTS)))
    statuses = [r for kind, r in results if kind == "hostile"]
    digits_right = [r for kind, r in results if kind == "digit"]
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"\nfuzz: {len(statuses)} hostile requests, statuses {counts}; "
          f"{sum(digits_right)}/{len(digits_right)} real digits answered as before")
    assert not [s for s in statuses if s >= 500]
    assert all(digits_right)


def test_slow_clients_do_not_hold_the_server(server, real_digits):
    """Hundreds of clients that send part of a request and stall: others are still served at
    once, and the stalled ones are cut off after the header deadline."""
    pngs, answers = real_digits
    stalled = []
    for i in range(300):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n")
        stalled.append(sock)
    trickle = socket.create_connection(("127.0.0.1", server.port))
    trickle.sendall(b"POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000\r\n\r\n{\"image\": \"")
    try:
        for png, answer in zip(pngs[:10], answers):
            start = time.perf_counter()
            assert predict(server.port, png) == answer
            assert time.perf_counter() - start < 2.0
        start = time.perf_counter()
        stalled[0].settimeout(30)
        assert stalled[0].recv(1024) == b""  # closed by the server
        assert time.perf_counter() - start < 15
    finally:
        for sock in stalled + [trickle]:
            sock.close()
    assert predict(server.port, pngs[0]) == answers[0]


def test_bodies_over_the_limit_over_http(server, real_digits):
    pngs, answers = real_digits
    big = b'{"image": "' + b"A" * over_the_limit() + b'"}'
    status, body = request(server.port, "POST", "/api/predict", big, {"Content-Type": "application/json"})
    assert status == 413 and "error" in json.loads(body)
    chunks = (big[i:i + 65536] for i in range(0, len(big), 65536))
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        connection.request("POST", "/api/predict", body=chunks, headers={"Content-Type": "application/json"},
                           encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 413 and "error" in json.loads(response.read())
    finally:
        connection.close()
    assert predict(server.port, pngs[1]) == answers[1]
