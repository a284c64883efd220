"""Helpers the tests share: servers started for real, processes, drawings, and bad requests."""

from __future__ import annotations

import base64
import http.client
import importlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from model_training import canvas
from recognition import PROJECT_ROOT
from webapp import config_from_env

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen, grace_s: float = 20.0) -> None:
    """Stop a process started in its own session, and its children: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def kill_once_written(command: list[str], path: Path, after_s: float = 0.0, timeout_s: float = 300.0) -> None:
    """Run a command in its own session and SIGKILL it `after_s` seconds after `path` appears (a killed training run)."""
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while not path.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    time.sleep(after_s)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert path.exists(), f"{path.name} was not written within {timeout_s:.0f} s: {' '.join(command)}"


def assert_killed_run_resumes(module: str, args: list[str], folder: Path, name: str, state: str,
                              epochs_key: str, after_s: float = 0.0) -> None:
    """Train with `module` once whole and once killed during its second epoch then continued with
    --resume (`state`: the checkpoint file, under the output folder, that marks an epoch done);
    assert the resumed run ends as the whole one does: the same curves, epochs and weights."""
    import keras  # only the training tests need it

    main = importlib.import_module(module).main
    main(args + ["--output", str(folder / "whole")])
    parts = folder / "parts"
    kill_once_written([sys.executable, "-m", module, *args, "--output", str(parts)], parts / state, after_s=after_s)
    assert json.loads((parts / state).read_text())["epoch"] == 1, "killed after the first epoch's checkpoint"
    assert not (parts / f"{name}.keras").exists()

    main(args + ["--output", str(parts), "--resume"])
    whole = json.loads((folder / "whole" / f"{name}_history.json").read_text())
    resumed = json.loads((parts / f"{name}_history.json").read_text())
    assert resumed["history"] == whole["history"] and resumed[epochs_key] == whole[epochs_key]
    a = keras.models.load_model(folder / "whole" / f"{name}.keras", compile=False).get_weights()
    b = keras.models.load_model(parts / f"{name}.keras", compile=False).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert "resuming after epoch 1" in (parts / "logs" / f"{name}.log").read_text()


def children(pid: int) -> list[int]:
    """Process ids whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)



# Two symbols as pen paths in 28x28 space, for "not a digit" checks: '#' and a five-pointed star.
HASH_SIGN = [np.array(p, float) for p in ([[10, 4], [8, 24]], [[19, 4], [17, 24]], [[4, 10], [24, 10]], [[3, 17], [23, 17]])]
STAR = [np.array([[14 + 10 * np.sin(a), 14 - 10 * np.cos(a)] for a in np.arange(6) * 4 * np.pi / 5])]


def post_json(url: str, body: dict, timeout: float = 30.0, headers: dict | None = None) -> tuple[int, dict]:
    """POST a JSON body to a running server: (status, its JSON answer, {} if none); (0, {}) when the
    connection dies before the whole answer came, as when the worker serving it is killed."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read())
        except (ValueError, OSError, http.client.HTTPException):  # no JSON, or the connection died while it came
            return error.code, {}
    except (OSError, http.client.HTTPException):  # refused, reset, or cut off mid-answer (IncompleteRead)
        return 0, {}


def data_url(png: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(png).decode("ascii")


class Server:
    """A server process started by `make run` on a free loopback port, stopped on `stop`."""

    def __init__(self, env: dict[str, str] | None = None, log_name: str = "server.log"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / log_name
        self._log = open(self.log_path, "wb")
        environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "ACCESS_LOG": ""}
        environment.update(env or {})
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT, env=environment,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer /healthz in time")

    def stop(self) -> None:
        stop_process_group(self.process)
        self._log.close()


def held_back_digits(mnist, count: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` MNIST test digits from `offset`: never used for training or model selection."""
    _, (x_test, y_test) = mnist
    return x_test[offset:offset + count], y_test[offset:offset + count]


def blank_png() -> bytes:
    return canvas.to_png(np.full((300, 300, 4), 255, np.uint8))


def over_the_limit() -> int:
    """A body size over the server's limit (DIGITS_MAX_BYTES, or its default): the limit plus 1 MiB."""
    return config_from_env()["MAX_CONTENT_LENGTH"] + 1024 * 1024


def bad_requests() -> dict[str, tuple[int, dict]]:
    """Bad requests by name, with the status each gets; new upload streams on every call."""
    return {
        "empty drawing": (422, dict(json={"image": data_url(blank_png())})),
        "transparent empty drawing": (422, dict(json={"image": data_url(canvas.to_png(np.zeros((300, 300, 4), np.uint8)))})),
        "malformed JSON": (400, dict(data=b'{"image": ', content_type="application/json")),
        "JSON not an object": (400, dict(json=["data:image/png;base64,AAAA"])),
        "missing image": (400, dict(json={"top_k": 3})),
        "image not a string": (400, dict(json={"image": 12})),
        "bad base64": (400, dict(json={"image": "data:image/png;base64,***"})),
        "not an image": (400, dict(json={"image": data_url(b"hello, world")})),
        "wrong media type": (400, dict(json={"image": data_url(blank_png(), "text/html")})),
        "top_k zero": (400, dict(json={"image": data_url(blank_png()), "top_k": 0})),
        "top_k eleven": (400, dict(json={"image": data_url(blank_png()), "top_k": 11})),
        "top_k text": (400, dict(json={"image": data_url(blank_png()), "top_k": "three"})),
        "top_k float": (400, dict(json={"image": data_url(blank_png()), "top_k": 2.5})),
        "top_k boolean": (400, dict(json={"image": data_url(blank_png()), "top_k": True})),
        "multipart without file": (400, dict(data={"other": "x"}, content_type="multipart/form-data")),
        "multipart not an image": (400, dict(data={"file": (io.BytesIO(b"GIF89a-nope"), "x.gif")},
                                             content_type="multipart/form-data")),
        "body over the limit": (413, dict(data=b"x" * over_the_limit(), content_type="application/json")),
        "upload over the limit": (413, dict(data={"file": (io.BytesIO(b"\x89PNG" + b"\0" * over_the_limit()), "big.png")},
                                            content_type="multipart/form-data")),
        "wrong content type": (415, dict(data=b"image=abc", content_type="text/plain")),
    }




def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def bomb_png(side: int = 20000) -> bytes:
    """A valid 1-bit PNG of side x side pixels (400 megapixels) that is a few kilobytes long."""
    rows = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (side // 8)
    data = b"".join(rows.compress(row) for _ in range(side)) + rows.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
