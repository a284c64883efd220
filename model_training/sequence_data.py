"""Written numbers for training the sequence model, made from MNIST training digits.

Each digit is traced to pen paths once (cached, as tracing is the slow part); a number is then
1 to 7 of them written side by side with `numbers.write_ink` (spaced, tight or touching, sizes
and baseline varying, pens thin to thick; now and then a dash or a dot between spaced digits,
which the number does not include; in one number of ten, a letter, symbol, scribble or shape in
place of a digit, read as "?") and turned into the model's input by the served
`line_recipe.to_line`. The validation numbers come from the digits training holds out, and the
test numbers of `model_training.numbers` from MNIST's test split, which training never sees.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
from pathlib import Path

import numpy as np

from model_training.canvas import TRACER_VERSION, pen_paths
from model_training.nondigits import non_digit
from model_training.numbers import write_ink
from recognition.line_recipe import LINE_HEIGHT, to_line
from recognition.mnist_recipe import to_mnist
from recognition.sequence import NOT_A_DIGIT_MARK, text_labels

KIND_SHARES = {"spaced": 0.3, "tight": 0.3, "touching": 0.4}  # touching numbers are the hard ones
SEPARATORS = {  # marks people put between the digits of a number, read as no digit (28x28 space, line 0-28)
    "dash": [np.array([[9.0, 15.0], [19.0, 14.0]])],
    "dot": [np.array([[14.0, 26.0], [14.3, 26.2]])],
}
SEPARATOR_SHARE = 0.1  # of spaced numbers, each gap holds a separator this often
NONDIGIT_SHARE = 0.1  # this share of numbers has one mark that is no digit in place of a digit
LENGTHS = (1, 7)  # digits per training number
HEIGHTS = (120, 160, 200, 280)  # canvas heights: the line recipe reduces every one to LINE_HEIGHT
PARALLEL_FROM = 2000  # fewer images are traced sooner here than a pool of fresh workers starts


def traced(images: np.ndarray, cache: Path) -> list[list[np.ndarray]]:
    """Pen paths of every 28x28 image, computed once and kept in `cache`.

    The cache is used only for the same images traced by the same tracer version.
    """
    key = hashlib.sha256(images.tobytes() + repr(TRACER_VERSION).encode()).hexdigest()
    if cache.is_file():
        with cache.open("rb") as f:
            stored = pickle.load(f)
        if isinstance(stored, dict) and stored.get("key") == key:
            return stored["paths"]
    paths = trace_all(images)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".partial")
    with partial.open("wb") as f:
        pickle.dump({"key": key, "paths": paths}, f)
    partial.replace(cache)
    return paths


def trace_all(images: np.ndarray) -> list[list[np.ndarray]]:
    """Pen paths of every 28x28 image, on all cores when there are many.

    The workers are forked from a fresh server process, never from this one: a fork of a process
    whose TensorFlow or OpenCV threads are running can hang in the child, as a training run once did.
    """
    if len(images) < PARALLEL_FROM:
        return [pen_paths(image) for image in images]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["model_training.canvas"])
    with context.Pool() as pool:
        return pool.map(pen_paths, list(images), chunksize=256)


def nondigit_images(x: np.ndarray, y: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` marks that are no digit (letters, symbols, scribbles, shapes, crossed-out digits), 28x28."""
    rng = np.random.default_rng([seed, 7])
    return np.stack([to_mnist(non_digit(rng, x, y)[1]) for _ in range(count)])


def strokes(marks: list[list[np.ndarray]], points: int = 3) -> list[list[np.ndarray]]:
    """The marks whose pen paths hold at least `points` points: enough to draw a stroke."""
    return [paths for paths in marks if sum(len(p) for p in paths) >= points]


def make_lines(paths: list[list[np.ndarray]], labels: np.ndarray, nondigits: list[list[np.ndarray]], count: int,
               rng: np.random.Generator) -> tuple[list[np.ndarray], list[str]]:
    """`count` written numbers as uint8 model inputs, and what each shows ("?" for a mark that is no digit)."""
    kinds, shares = list(KIND_SHARES), list(KIND_SHARES.values())
    lines, texts = [], []
    for _ in range(count):
        chosen = rng.choice(len(paths), size=int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)), replace=False)
        kind = str(rng.choice(kinds, p=shares))
        odd = int(rng.integers(len(chosen))) if rng.random() < NONDIGIT_SHARE else -1
        marks, spans, text = [], [], ""
        for n, i in enumerate(chosen):
            if n and kind == "spaced" and rng.random() < SEPARATOR_SHARE:
                marks.append(SEPARATORS[str(rng.choice(list(SEPARATORS)))])
                spans.append((0.0, 28.0))
            marks.append(nondigits[int(rng.integers(len(nondigits)))] if n == odd else paths[i])
            spans.append(None)
            text += NOT_A_DIGIT_MARK if n == odd else str(int(labels[i]))
        ink = write_ink(marks, kind, rng, int(rng.choice(HEIGHTS)), spans)
        lines.append(np.round(to_line(ink).image * 255).astype(np.uint8))
        texts.append(text)
    return lines, texts


def batches(lines: list[np.ndarray], texts: list[str], size: int, rng: np.random.Generator | None = None):
    """Batches of (inputs, labels, label lengths); numbers of like widths share a batch to save padding."""
    widths = np.array([line.shape[1] for line in lines])
    perm = rng.permutation(len(lines)) if rng is not None else np.arange(len(lines))
    order = perm[np.argsort(widths[perm], kind="stable")]
    starts = np.arange(0, len(order), size)
    if rng is not None:
        rng.shuffle(starts)
    for start in starts:
        chosen = order[start:start + size]
        width = max(lines[i].shape[1] for i in chosen)
        x = np.zeros((len(chosen), LINE_HEIGHT, width, 1), np.float32)
        longest = max(len(texts[i]) for i in chosen)
        y = np.zeros((len(chosen), longest), np.int32)
        lengths = np.zeros(len(chosen), np.int32)
        for row, i in enumerate(chosen):
            x[row, :, :lines[i].shape[1], 0] = lines[i] / 255.0
            y[row, :len(texts[i])] = text_labels(texts[i])
            lengths[row] = len(texts[i])
        yield x, y, lengths
