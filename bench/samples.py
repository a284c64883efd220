"""The request samples: MNIST test digits drawn as the page's canvas PNGs, with their JSON bodies."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

import numpy as np

from bench.server import PROJECT_ROOT
from model_training.canvas import Style, draw_digit
from model_training.data import load_mnist

SAMPLES = 200  # distinct PNGs, drawn before timing and sent in turn
SEED = 0
PAGE_SCRIPT = PROJECT_ROOT / "static" / "app.js"
PEN = 1 / 18  # pen width relative to the canvas side, as static/app.js draws
TOP_K = 3


def page_export_size() -> int:
    """The side of the PNG the page sends for a digit (EXPORT_SIZE in static/app.js)."""
    return int(re.search(r"\bvar EXPORT_SIZE = (\d+)", PAGE_SCRIPT.read_text()).group(1))


LOAD_CANVAS = page_export_size()


@dataclass(frozen=True)
class Sample:
    """One drawing: its MNIST label, canvas side, PNG bytes and the ready-to-send request body."""

    label: int
    canvas: int
    png: bytes
    body: bytes


def page_style(rng: np.random.Generator, side: int) -> Style:
    """A drawing as the page makes it: black pen 1/18 of the side on white; size and place vary."""
    size = float(rng.uniform(0.4, 0.8))
    low, high = size / 2 + 0.05, 1 - size / 2 - 0.05
    center = (float(rng.uniform(low, high)), float(rng.uniform(low, high)))
    return Style(canvas=side, size=size, center=center, pen=PEN, look="white")


def request_body(png: bytes) -> bytes:
    """The JSON body the page sends for a PNG."""
    image = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return json.dumps({"image": image, "top_k": TOP_K}).encode()


def draw_samples(count: int, side: int, seed: int = SEED) -> list[Sample]:
    """`count` distinct MNIST test digits drawn as `side`x`side` canvas PNGs."""
    _, (x_test, y_test) = load_mnist()
    rng = np.random.default_rng([seed, side])
    samples = []
    for i in rng.choice(len(x_test), size=count, replace=False):
        png = draw_digit(x_test[i], page_style(rng, side))
        samples.append(Sample(int(y_test[i]), side, png, request_body(png)))
    return samples
