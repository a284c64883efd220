"""The serving stages timed one by one in this process, without load, per canvas side."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from bench.samples import LOAD_CANVAS, Sample

PROFILE_CANVASES = {400: "desktop canvas", 840: "phone canvas at DPR 3"}  # whole canvases an API client may send
PROFILE_EXTRA = 50  # drawings per extra canvas size in the profile
PROFILE_ROUNDS = 3
BASELINE_PROFILE_SAMPLES = 20


def parse_request(body: bytes) -> bytes:
    """What the API does before decoding: read the JSON body and the base64 data URL."""
    from recognition.decode import decode_base64_image

    return decode_base64_image(json.loads(body)["image"])


def time_each(function: Callable[[Any], Any], inputs: Sequence[Any], rounds: int = PROFILE_ROUNDS) -> np.ndarray:
    """Per input, the fastest of `rounds` calls of `function`, in microseconds."""
    best = np.full(len(inputs), np.inf)
    for _ in range(rounds):
        for i, value in enumerate(inputs):
            start = time.perf_counter()
            function(value)
            best[i] = min(best[i], (time.perf_counter() - start) * 1e6)
    return best


def profile(groups: dict[int, list[Sample]], model: Path, baseline: Path | None) -> dict[str, dict[int, float]]:
    """Median µs of each serving stage in this process, per canvas side."""
    from recognition import read_ink
    from recognition.classifier import Classifier
    from recognition.mnist_recipe import to_mnist

    classify = Classifier(model).probabilities
    rows: dict[str, dict[int, float]] = {}
    for side, group in groups.items():
        inks = [read_ink(s.png) for s in group]
        digits = [to_mnist(ink) for ink in inks]
        stages = [
            ("parse body: json.loads + base64", parse_request, [s.body for s in group]),
            ("read_ink: PNG → ink map", read_ink, [s.png for s in group]),
            ("to_mnist: ink map → 28×28", to_mnist, inks),
            (f"probabilities: {model.name} (LiteRT)", classify, digits),
        ]
        for name, function, inputs in stages:
            rows.setdefault(name, {})[side] = float(np.median(time_each(function, inputs)))
        rows.setdefault("sum of the stages", {})[side] = sum(rows[name][side] for name, _, _ in stages)
    if baseline is not None:
        digits = [to_mnist(read_ink(s.png)) for s in groups[LOAD_CANVAS][:BASELINE_PROFILE_SAMPLES]]
        micros = time_each(Classifier(baseline).probabilities, digits)
        rows[f"probabilities: {baseline.name} (model.predict)"] = {LOAD_CANVAS: float(np.median(micros))}
    return rows
