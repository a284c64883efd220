"""The generated sets beside MNIST: style variants, canvas redrawings and non-digits.

Every sample is what the server would hand the model (`to_mnist` output), labelled 0-9 or
NOT_A_DIGIT, and tagged with its family. A set is made from the MNIST digits it is given, so
the training set only ever sees training-split digits and the validation and held-apart sets
only the validation split; different seeds give different sets from the same digits. The
validation and held-apart sets draw from random streams of their own (`STREAMS`), which no
training seed reaches: the non-digits depend on the seed alone, so a shared seed would make a
network train on the very non-digits it is then judged on. Sets are cached under `data/synth/`
since the canvas redrawing takes a minute or two.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from model_training import canvas
from model_training.data import PROJECT_ROOT
from model_training.nondigits import non_digit
from model_training.styles import FAMILIES, holes, upscale
from recognition.errors import InputError
from recognition.mnist_recipe import to_mnist

NOT_A_DIGIT = 10
LOOPED = (0, 6, 9)  # labels whose style variants must keep a closed loop
CACHE = PROJECT_ROOT / "data" / "synth"
VERSION = 3  # bump when a generator changes, so caches are rebuilt
# The random stream of each kind of set: training draws from SeedSequence([seed, family, chunk]),
# the others add their stream number, so no seed makes a training set share their samples.
STREAMS = {"train": (), "validation": (1,), "held_apart": (2,)}

# Per-family sample counts for a full-size (54,000-digit) training split; scaled with the split.
TRAIN_COUNTS = {**{name: 1500 for name in FAMILIES}, "canvas": 8000, "thick_pen": 3000, "thin_pen": 1000,
                "not_a_digit": 12000}
REDRAWN = ("canvas", "thick_pen", "thin_pen")  # the families that are plain MNIST digits redrawn as canvases
CHECK_COUNTS = {**{name: 300 for name in FAMILIES}, "canvas": 600, "thick_pen": 300, "thin_pen": 300,
                "not_a_digit": 2000}


@dataclass
class Synth:
    """Generated samples: images (n, 28, 28) uint8, labels (n,), families (n,) as names."""

    x: np.ndarray
    y: np.ndarray
    family: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def served(ink: np.ndarray) -> np.ndarray | None:
    """The serving recipe, or None when it finds nothing to read."""
    try:
        return to_mnist(ink)
    except InputError:
        return None


def served_forms(x: np.ndarray) -> np.ndarray:
    """Each MNIST digit as the serving recipe returns it (recropped, recentred, pen normalised)."""
    forms = [served(d) for d in x]
    return np.stack([d if f is None else f for d, f in zip(x, forms)])


def looks_like_a_one(image: np.ndarray) -> bool:
    """Whether a 28x28 image is a single upright bar: a non-digit that a person would read as 1."""
    ys, xs = np.nonzero(image > 100)
    if len(xs) < 5:
        return True
    eigen, vectors = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(float)))
    upright = abs(vectors[1, 1]) > np.cos(np.radians(35))  # main axis within 35 degrees of vertical
    return bool(eigen[1] > 12 * max(eigen[0], 1e-6) and upright)


def redraw(digit: np.ndarray, rng: np.random.Generator, pen: str = "any") -> np.ndarray | None:
    """A 28x28 digit traced to pen strokes and redrawn on a canvas with a thin, thick or any pen."""
    style = canvas.random_style(rng, canvas=int(rng.choice([280, 400, 560])))
    if pen == "thick":
        size = float(rng.uniform(0.55, 0.85))
        style = replace(style, size=size, center=(0.5, 0.5), pen=float(rng.uniform(0.1, 0.15)))
    elif pen == "thin":
        style = replace(style, pen=float(rng.uniform(0.008, 0.025)))
    paths = canvas.pen_paths(digit)
    if not paths:
        return None
    return served(canvas.render(paths, replace(style, look="transparent"))[..., 3])


def sample(family: str, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, int] | None:
    """One sample of `family` from the digits (x, y), or None when this draw did not work out."""
    if family == "not_a_digit":
        _, ink = non_digit(rng, x, y)
        image = served(ink)
        if image is not None and rng.random() < 0.4:
            image = redraw(image, rng)
        if image is None or looks_like_a_one(image):
            return None
        return image, NOT_A_DIGIT
    if family in FAMILIES:
        label, generate = FAMILIES[family]
        pool = np.flatnonzero(y == label)
        big = generate(x[rng.choice(pool)], rng)
        image = None if big is None else served(big)
        if image is not None and rng.random() < 0.5:
            again = redraw(image, rng)
            # Tracing can lose a small loop; a 0 or 9 without its loop no longer keeps its label.
            if again is not None and (label not in LOOPED or holes(upscale(again) > 127) > 0):
                image = again
        return None if image is None else (image, label)
    i = rng.integers(len(x))
    pen = {"thick_pen": "thick", "thin_pen": "thin"}.get(family, "any")
    image = redraw(x[i], rng, pen)
    return None if image is None else (image, int(y[i]))


_DIGITS: dict[str, np.ndarray] = {}


def _share(x: np.ndarray, y: np.ndarray) -> None:
    """Hand each worker process the digits once, not with every job."""
    _DIGITS.update(x=x, y=y)


def _make(job: tuple[str, int, int]) -> list[tuple[np.ndarray, int]]:
    family, count, seed = job
    x, y = _DIGITS["x"], _DIGITS["y"]
    rng = np.random.default_rng(seed)
    out: list[tuple[np.ndarray, int]] = []
    while len(out) < count:
        made = sample(family, x, y, rng)
        if made is not None:
            out.append(made)
    return out


def generate(x: np.ndarray, y: np.ndarray, counts: dict[str, int], seed: int, workers: int = 2,
             stream: str = "train") -> Synth:
    """`counts[family]` samples of each family from the digits (x, y), in parallel, seeded, from `stream`."""
    jobs = []
    for f, (family, count) in enumerate(sorted(counts.items())):
        chunks = max(1, count // 500)
        for c in range(chunks):
            part = count // chunks + (1 if c < count % chunks else 0)
            jobs.append((family, part, int(np.random.SeedSequence([seed, f, c, *STREAMS[stream]]).generate_state(1)[0])))
    with ProcessPoolExecutor(workers, initializer=_share, initargs=(x, y)) as pool:
        results = list(pool.map(_make, jobs))
    images = [img for part in results for img, _ in part]
    labels = [lab for part in results for _, lab in part]
    families = [job[0] for job, part in zip(jobs, results) for _ in part]
    return Synth(np.stack(images), np.array(labels, np.int64), np.array(families))


def scaled(counts: dict[str, int], digits: int, full: int = 54000) -> dict[str, int]:
    """Counts scaled to a training split of `digits` images (at least 10 each)."""
    return {k: max(10, int(round(v * digits / full))) for k, v in counts.items()}


def cached(x: np.ndarray, y: np.ndarray, counts: dict[str, int], seed: int, cache: Path | None = CACHE,
           stream: str = "train") -> Synth:
    """`generate`, kept on disk under a name that depends on the digits, counts, seed, stream and version."""
    settings = (sorted(counts.items()), seed, stream, VERSION, canvas.TRACER_VERSION)
    key = hashlib.sha256(x.tobytes() + y.tobytes() + repr(settings).encode()).hexdigest()[:16]
    path = cache / f"synth-{key}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path) as npz:
            return Synth(npz["x"], npz["y"], npz["family"])
    synth = generate(x, y, counts, seed, stream=stream)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, x=synth.x, y=synth.y, family=synth.family)
        tmp.replace(path)
    return synth


def check_set(x_val: np.ndarray, y_val: np.ndarray, train_count: int, split_seed: int) -> Synth:
    """The generated part of validation: every training run stops early on it, and calibration and
    `ensemble --choose` select on it. Seeded by the split, from the validation stream, so it shares
    no sample with any training set or with the held-apart style set (`robustness.held_apart_set`)."""
    return cached(x_val, y_val, scaled(CHECK_COUNTS, train_count), split_seed, stream="validation")
