"""Whole numbers written on a canvas, made from held-back MNIST test digits, and how well they read.

    python -m model_training.numbers [--count 400] [--seed 2026] [--model saved_model/cnn.tflite]
    python -m model_training.numbers --source validation   # the set segmentation is tuned on
    python -m model_training.numbers --sequence ''          # segmentation alone, without the sequence model

Each number is 2 to 6 MNIST test digits (from the last HELD_BACK of the test split, never used
for training or model selection; segmentation's settings are chosen on numbers made from the
validation digits training held out, `--source validation`), thinned to pen paths and written side by side with a round pen
on canvases of varied shapes, in the three looks a browser exports. Digit sizes vary, the
baseline drifts, and the gaps between digits are of one of three kinds:

- spaced: a clear gap, as people leave between digits;
- tight: a narrow gap, the strokes not touching;
- touching: the digits' boxes overlap a little, so their strokes usually touch.

The script reads every number through the server's own path (decode, segmentation, model) and
prints whole-number and per-digit accuracy for each kind, and the time a 4-digit number takes.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import cv2
import numpy as np

from model_training.canvas import LOOKS, pen_paths, to_png
from model_training.data import load_mnist, split
from recognition import DEFAULT_SEQUENCE_MODEL, read_ink
from recognition.classifier import Classifier
from recognition.mnist_recipe import bounding_box
from recognition.number import read_number
from recognition.sequence import SequenceModel

HELD_BACK = 5000  # the last 5,000 MNIST test digits
KINDS = {"spaced": (0.25, 0.8), "tight": (0.03, 0.15), "touching": (-0.12, -0.02)}  # ink gap / line height
PAGE_HEIGHT = 112  # the page sends a number at this many pixels to its canvas's height (NUMBER_EXPORT_SIZE in static/app.js) ...
PAGE_MIN_HEIGHT = 72  # ... redrawn larger if it is less high than this (NUMBER_MIN_HEIGHT) ...
PAGE_MARGIN = 6  # ... its ink and about this many pixels of paper around it (half a pen's width and a little)
VAL_SIZE, SPLIT_SEED = 0.1, 42  # training's default validation split


@dataclass(frozen=True)
class Written:
    """A written number: its PNG and the digits it shows."""

    png: bytes
    labels: list[int]

    @property
    def text(self) -> str:
        return "".join(str(d) for d in self.labels)


def held_back(mnist) -> tuple[np.ndarray, np.ndarray]:
    """The last HELD_BACK MNIST test digits and labels."""
    _, (x_test, y_test) = mnist
    return x_test[-HELD_BACK:], y_test[-HELD_BACK:]


def validation(mnist) -> tuple[np.ndarray, np.ndarray]:
    """The validation digits training held out (its default split): where segmentation is tuned."""
    (x_train, y_train), _ = mnist
    _, (x_val, y_val) = split(x_train, y_train, VAL_SIZE, SPLIT_SEED)
    return x_val, y_val


def write_number(digits: list[np.ndarray], kind: str, rng: np.random.Generator,
                 height: int | None = None, crop: bool = False) -> np.ndarray:
    """Digits written side by side with a pen: an RGBA canvas `height` pixels high (random if None),
    with `crop` as the page sends it (`page_drawing`; `height` then defaults to PAGE_HEIGHT)."""
    paths = [pen_paths(d) for d in digits]
    ink = page_drawing(paths, kind, rng, height or PAGE_HEIGHT) if crop else write_ink(paths, kind, rng, height)
    return with_look(ink, str(rng.choice(LOOKS)))


def page_drawing(paths: list[list[np.ndarray]], kind: str, rng: np.random.Generator, height: int) -> np.ndarray:
    """A number written on a canvas `height` pixels high, as the page sends it: its ink and PAGE_MARGIN
    pixels of paper around it, redrawn larger where they are less than PAGE_MIN_HEIGHT pixels high."""
    state = rng.bit_generator.state
    crop = page_crop(write_ink(paths, kind, rng, height))
    if crop.shape[0] >= PAGE_MIN_HEIGHT:
        return crop
    rng.bit_generator.state = state  # the same number again, larger
    return page_crop(write_ink(paths, kind, rng, round(height * PAGE_MIN_HEIGHT / crop.shape[0])))


def page_crop(ink: np.ndarray) -> np.ndarray:
    """The part of a number's canvas the page sends: the ink and PAGE_MARGIN pixels of paper around it."""
    top, bottom, left, right = bounding_box(ink > 0)
    return ink[max(0, top - PAGE_MARGIN):bottom + PAGE_MARGIN, max(0, left - PAGE_MARGIN):right + PAGE_MARGIN]


def write_ink(digits: list[list[np.ndarray]], kind: str, rng: np.random.Generator,
              height: int | None = None, spans: list[tuple[float, float] | None] | None = None) -> np.ndarray:
    """Digits given as pen paths written side by side: the ink map (uint8, ink bright) of a canvas.

    A digit's size is measured on its own ink, or on its entry of `spans` (top and bottom in its
    paths' coordinates) where given, so a mark such as a dash keeps its place on the line.
    """
    height = height or int(rng.choice([160, 200, 280, 400, 600]))
    line = height * rng.uniform(0.45, 0.7)
    pen = line * rng.uniform(0.06, 0.13)
    low, high = KINDS[kind]
    slope = rng.uniform(-0.12, 0.12)
    placed, x = [], 0.0
    for n, paths in enumerate(digits):
        points = np.concatenate(paths)
        lo, hi = points.min(axis=0), points.max(axis=0)
        if spans is not None and spans[n] is not None:
            lo[1], hi[1] = spans[n]
        scale = line * rng.uniform(0.8, 1.15) / max(hi[1] - lo[1], 1.0)
        width = (hi[0] - lo[0]) * scale
        bottom = slope * x + rng.normal(0, 0.04) * line
        placed.append([(p - [lo[0], hi[1]]) * scale + [x, bottom] for p in paths])
        x += width + pen + rng.uniform(low, high) * line
    points = np.concatenate([p for paths in placed for p in paths])
    lo, hi = points.min(axis=0) - pen, points.max(axis=0) + pen
    canvas_width = int(max((hi[0] - lo[0]) / rng.uniform(0.55, 0.95), 2 * height))
    canvas_height = max(height, int(hi[1] - lo[1]) + 4)
    origin = [rng.uniform(0, canvas_width - (hi[0] - lo[0])), (canvas_height - (hi[1] - lo[1])) / 2] - lo
    ink = np.zeros((canvas_height, canvas_width), np.uint8)
    for paths in placed:
        for p in paths:
            pts = np.round((p + origin) * 16).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(ink, [pts], False, 255, thickness=max(1, round(pen)), lineType=cv2.LINE_AA, shift=4)
    return ink


def with_look(ink: np.ndarray, look: str) -> np.ndarray:
    """An ink map as an RGBA canvas in one of the looks a browser exports."""
    rgba = np.zeros((*ink.shape, 4), np.uint8)
    if look == "transparent":
        rgba[..., 3] = ink
        return rgba
    grey = 255 - ink if look == "white" else (24 + ink.astype(np.float32) * (231 / 255)).astype(np.uint8)
    rgba[..., :3] = grey[..., None]
    rgba[..., 3] = 255
    return rgba


def make_numbers(mnist, kind: str, count: int, rng: np.random.Generator, lengths: tuple[int, int] = (2, 6),
                 height: int | None = None, source=held_back, crop: bool = False) -> list[Written]:
    """`count` numbers of `kind`, each of `lengths` digits, from `source`'s digits (held-back test
    digits); `crop`: as the page sends them (`page_drawing`)."""
    images, labels = source(mnist)
    numbers = []
    for _ in range(count):
        chosen = rng.choice(len(images), size=int(rng.integers(lengths[0], lengths[1] + 1)), replace=False)
        rgba = write_number([images[i] for i in chosen], kind, rng, height, crop)
        numbers.append(Written(to_png(rgba), [int(labels[i]) for i in chosen]))
    return numbers


SOURCES = {"test": held_back, "validation": validation}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: digits missed, added or misread."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def evaluate(classifier: Classifier, numbers: list[Written], sequence: SequenceModel | None = None) -> dict[str, float]:
    """Whole-number accuracy, per-digit accuracy (1 - edits / digits) and times of one set, as served;
    with a sequence model, also the share its best path alone reads right."""
    right, digits, edits, times, alone = 0, 0, 0, [], 0
    for written in numbers:
        start = time.perf_counter()
        ink = read_ink(written.png)
        read = read_number(classifier, ink, sequence=sequence).number
        times.append((time.perf_counter() - start) * 1000)
        right += read == written.text
        digits += len(written.text)
        edits += min(edit_distance(read, written.text), len(written.text))
        if sequence is not None:
            alone += sequence.read(ink).text == written.text
    return {"number": right / len(numbers), "digit": 1 - edits / digits, "sequence_alone": alone / len(numbers),
            "p50_ms": float(np.percentile(times, 50)), "p90_ms": float(np.percentile(times, 90))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Accuracy and speed of reading whole written numbers.")
    parser.add_argument("--count", type=int, default=400, help="numbers of each kind")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--model", default=os.environ.get("DIGITS_MODEL", "saved_model/cnn.tflite"))
    parser.add_argument("--source", choices=SOURCES, default="test", help="held-back test digits, or validation digits")
    parser.add_argument("--sequence", default=str(DEFAULT_SEQUENCE_MODEL),
                        help="the sequence model; '' reads by segmentation alone")
    parser.add_argument("--timing", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    source = SOURCES[args.source]
    classifier = Classifier(args.model)
    sequence = SequenceModel(args.sequence) if args.sequence else None
    mnist = load_mnist()
    rng = np.random.default_rng(args.seed)
    print(f"{args.count} numbers of 2-6 {args.source} MNIST digits per kind, model {classifier.name}, "
          f"sequence model {sequence.path.name if sequence else 'none'}")
    for kind in KINDS:
        found = evaluate(classifier, make_numbers(mnist, kind, args.count, rng, source=source), sequence)
        alone = f"  (sequence model alone {found['sequence_alone']:.1%})" if sequence else ""
        print(f"{kind:>9}: whole numbers {found['number']:.1%}  digits {found['digit']:.1%}{alone}")
    for kind in KINDS if args.timing else ():
        found = evaluate(classifier, make_numbers(mnist, kind, max(50, args.count // 4), rng, (4, 4), crop=True), sequence)
        print(f"4 digits, {kind}, as the page sends them ({PAGE_HEIGHT} pixels to the canvas's height): "
              f"p50 {found['p50_ms']:.2f} ms, p90 {found['p90_ms']:.2f} ms, whole numbers {found['number']:.1%}")


if __name__ == "__main__":
    main()
