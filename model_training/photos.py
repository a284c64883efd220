"""Synthetic phone photos of digits on paper or a board, one condition at a time, and their accuracy.

    python -m model_training.photos --count 100 [--conditions shadow pencil ...] [--numbers 20]

MNIST training-split digits that training held out for validation are traced to pen paths and
inked on generated paper at phone-photo sizes under one condition each (shadow, gradient light,
ruled or squared paper, blue ink, pencil, tilt, the table at an edge, heavy JPEG, or none) or
chalked on a board (filling the photo, or framed on a light wall), then read through the serving
path (`recognition.preprocess` and the shipped model). Canvas drawings of the same digits are
read too, for comparison.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from model_training import surfaces
from model_training.canvas import layout, pen_paths, random_style, render, to_png, Style

CONDITIONS = ("plain", "shadow", "gradient light", "ruled paper", "grid paper", "blue ink", "pencil",
              "tilt", "table edge", "heavy JPEG", "board", "board on a wall")
BOARDS = ("board", "board on a wall")
SIZES = ((1600, 1200), (2048, 1536), (1280, 960))  # (width, height) of the photos, landscape or portrait
TWELVE_MP = (4032, 3024)
BLACK_INK = (0.16, 0.15, 0.17)  # light transmitted by each ink, RGB
BLUE_INK = (0.15, 0.22, 0.62)
PENCIL = (0.45, 0.45, 0.47)
CHALK = (0.90, 0.90, 0.86)  # light sent back by chalk, RGB


def _aspect(paths) -> float:
    """A drawing's width over its longest side."""
    points = np.concatenate(paths)
    extent = points.max(axis=0) - points.min(axis=0)
    return float(extent[0] / max(extent.max(), 1e-6))


def _ink(paths, shape: tuple[int, int], rng: np.random.Generator, height: float, pen: float,
         centre: tuple[float, float]) -> np.ndarray:
    """The strokes as coverage in [0, 1]: `height` and `pen` in pixels, `centre` as (x, y) fractions."""
    h, w = shape
    side = max(h, w)
    style = Style(canvas=side, size=height / side, center=(centre[0] * w / side, centre[1] * h / side))
    layer = np.zeros((h, w), np.uint8)
    for p in layout(paths, style):
        pts = np.round(p * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(layer, [np.concatenate([pts, pts]) if len(pts) == 1 else pts], False, 255,
                      max(1, int(round(pen))), cv2.LINE_AA, 4)
    return layer.astype(np.float32) / 255


def _warp(image: np.ndarray, rng: np.random.Generator, degrees: float) -> np.ndarray:
    """A camera held a little askew: a small rotation and keystone, the frame kept full."""
    h, w = image.shape[:2]
    angle = np.deg2rad(rng.uniform(-degrees, degrees))
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]]) - [w / 2, h / 2]
    rotation = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    keystone = 1 + rng.uniform(-0.06, 0.06) * np.float32([[-1], [-1], [1], [1]])
    target = (corners * 1.25 * keystone) @ rotation.T + [w / 2, h / 2]  # zoom in: no empty corners
    matrix = cv2.getPerspectiveTransform((corners + [w / 2, h / 2]).astype(np.float32), target.astype(np.float32))
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def photo(paths, condition: str, rng: np.random.Generator, size: tuple[int, int] | None = None,
          heights: list[float] | None = None, quality: int | None = None) -> bytes:
    """A JPEG photo of pen `paths` (one drawing, 28x28 coordinates) written on paper under `condition`.

    `heights` (fractions of the shorter side) place several drawings in a row: then `paths` is a list
    of drawings, a whole number."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; expected one of {CONDITIONS}")
    width, height = out_width, out_height = size or SIZES[rng.integers(len(SIZES))]
    if size is None and rng.random() < 0.3:
        width, height = out_width, out_height = height, width
    while width * height > 4_000_000:  # a scene this large is made at half size and enlarged: faster
        width, height = width // 2, height // 2
    shape, short = (height, width), min(width, height)
    image = surfaces.board(rng, shape) if condition in BOARDS else surfaces.paper(rng, shape)
    digit_height = short * (rng.uniform(0.2, 0.35) if condition == "board on a wall" else rng.uniform(0.25, 0.5))
    if condition == "ruled paper":
        surfaces.rule(image, rng, digit_height * rng.uniform(0.7, 1.1), False, (0.62, 0.76, 0.92))
        if rng.random() < 0.5:
            surfaces.rule(image, rng, 2 * width, True, (0.92, 0.45, 0.45), width * rng.uniform(0.1, 0.3))  # the margin
    elif condition == "grid paper":
        spacing = digit_height * rng.uniform(0.3, 0.55)
        colour = rng.choice([(0.62, 0.72, 0.88), (0.66, 0.66, 0.68)])
        surfaces.rule(image, rng, spacing, False, colour)
        surfaces.rule(image, rng, spacing, True, colour)
    drawings = [paths] if heights is None else paths
    sizes = [digit_height] if heights is None else [h * short for h in heights]
    widths = [s * _aspect(d) for d, s in zip(drawings, sizes)]
    gap = 0.3 * max(sizes)  # digits of a number are written this far apart
    x = 0.5 - (sum(widths) + gap * (len(widths) - 1)) / width / 2 + rng.uniform(-0.05, 0.05)
    y = 0.5 + rng.uniform(-0.1, 0.1)
    coverage = np.zeros(shape, np.float32)
    pen_share = rng.uniform(0.04, 0.08) if condition == "pencil" else rng.uniform(0.05, 0.1)
    for drawing, h, w in zip(drawings, sizes, widths):
        centre = (x + w / 2 / width, y + rng.uniform(-0.02, 0.02))
        coverage = np.maximum(coverage, _ink(drawing, shape, rng, h, pen_share * max(sizes), centre))
        x += (w + gap) / width
    ink = BLUE_INK if condition == "blue ink" else PENCIL if condition == "pencil" else BLACK_INK
    if condition == "pencil" or condition in BOARDS:  # grainy strokes
        coverage *= np.clip(rng.uniform(0.55, 1.0, shape) * (1 + 0.2 * surfaces.smooth_noise(rng, shape, 8)), 0, 1).astype(np.float32)
    if condition in BOARDS:
        image += coverage[..., None] * (np.asarray(CHALK, np.float32) - image)
        if condition == "board on a wall":
            image = surfaces.wall_around(image, rng)
    else:
        image *= 1 - coverage[..., None] * (1 - np.asarray(ink, np.float32))
    if condition == "tilt":
        image = _warp(image, rng, 10)
    elif condition == "table edge":
        image = surfaces.table_edge(image, rng)
    light = 1 - 0.06 * surfaces.smooth_noise(rng, shape, 3)
    if condition == "shadow":
        light *= surfaces.shadow(rng, shape)
    elif condition == "gradient light":
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * xx / width + np.sin(angle) * yy / height)
        ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
        light *= 1 - rng.uniform(0.35, 0.5) * ramp
    image *= light[..., None]
    return _camera(image, rng, heavy=condition == "heavy JPEG", quality=quality, size=(out_width, out_height))


def _camera(image: np.ndarray, rng: np.random.Generator, heavy: bool = False, quality: int | None = None,
            size: tuple[int, int] | None = None) -> bytes:
    """Lens blur, enlargement to `size`, sensor noise and JPEG encoding (at `quality`, or a phone's
    usual): the photo as stored."""
    image = cv2.GaussianBlur(image, (0, 0), min(image.shape[:2]) * rng.uniform(0.0004, 0.0008))
    if size is not None and size != image.shape[1::-1]:
        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    image *= 255
    sigma = 255 * (0.03 if heavy else rng.uniform(0.005, 0.015))
    image += rng.standard_normal(image.shape[:2], dtype=np.float32)[..., None] * sigma
    image = np.clip(image, 0, 255, out=image).astype(np.uint8)
    quality = quality or int(rng.integers(10, 25) if heavy else rng.integers(80, 93))
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def digit_photo(digit: np.ndarray, condition: str, rng: np.random.Generator, size: tuple[int, int] | None = None,
                quality: int | None = None) -> bytes:
    """An MNIST digit written on paper and photographed under `condition`, as JPEG bytes."""
    return photo(pen_paths(digit), condition, rng, size, quality=quality)


def number_photo(digits: np.ndarray, rng: np.random.Generator, condition: str = "plain",
                 size: tuple[int, int] | None = None) -> bytes:
    """MNIST digits written in a row on paper (a whole number), photographed, as JPEG bytes."""
    share = min(0.3, 0.9 / len(digits))  # the number fits across the photo
    heights = [share * rng.uniform(0.9, 1.1) for _ in digits]
    return photo([pen_paths(d) for d in digits], condition, rng, size or (1600, 1200), heights)


def odd_photos(rng: np.random.Generator) -> dict[str, bytes]:
    """Photos with no writing: all paper, all table, a blank sheet on the table, a ruled blank sheet, a
    wiped board."""
    shape = (900, 1200)
    paper, lined = surfaces.paper(rng, shape), surfaces.paper(rng, shape)
    surfaces.rule(lined, rng, 60, False, (0.62, 0.76, 0.92))
    return {
        "all paper": _camera(paper * (1 - 0.3 * (surfaces.smooth_noise(rng, shape, 2) + 1) / 2)[..., None], rng),
        "all table": _camera(surfaces.table(rng, shape), rng),
        "blank sheet on the table": _camera(surfaces.table_edge(surfaces.paper(rng, shape), rng)
                                            * surfaces.shadow(rng, shape)[..., None], rng),
        "blank ruled sheet": _camera(lined, rng),
        "wiped board": _camera(surfaces.board(rng, shape), rng),
    }


def readings(condition: str, count: int, seed: int = 0) -> np.ndarray:
    """Whether each of `count` validation digits is read right when photographed under `condition`
    ("canvas": drawn on a canvas of a random style instead), through the serving path."""
    from model_training.calibrate import validation_digits
    from recognition import DEFAULT_MODEL, preprocess
    from recognition.classifier import Classifier
    from recognition.errors import InputError

    classifier = Classifier(DEFAULT_MODEL)
    _, x_val, y_val = validation_digits()
    picks = np.random.default_rng(seed).choice(len(x_val), count, replace=False)
    rng = np.random.default_rng([seed, (("canvas",) + CONDITIONS).index(condition)])
    right = np.zeros(count, bool)
    for n, index in enumerate(picks):
        paths = pen_paths(x_val[index])
        data = to_png(render(paths, random_style(rng))) if condition == "canvas" else photo(paths, condition, rng)
        try:
            right[n] = classifier.answer(preprocess(data), 1).predictions[0].digit == y_val[index]
        except InputError:
            pass
    return right


def number_readings(count: int, seed: int = 0, conditions: tuple[str, ...] = ("plain", "ruled paper")) -> float:
    """Share of `count` photographed numbers (2 to 4 validation digits, under `conditions` in turn)
    read entirely right by /api/number's reader."""
    from model_training.calibrate import validation_digits
    from recognition import DEFAULT_MODEL, DEFAULT_SEQUENCE_MODEL, read_ink
    from recognition.classifier import Classifier
    from recognition.errors import InputError
    from recognition.number import read_number
    from recognition.sequence import SequenceModel

    classifier, sequence = Classifier(DEFAULT_MODEL), SequenceModel(DEFAULT_SEQUENCE_MODEL)
    _, x_val, y_val = validation_digits()
    rng = np.random.default_rng([seed, 99, *(CONDITIONS.index(c) for c in conditions)])
    right = 0
    for n in range(count):
        picks = rng.choice(len(x_val), int(rng.integers(2, 5)), replace=False)
        data = number_photo(x_val[picks], rng, conditions[n % len(conditions)])
        try:
            right += read_number(classifier, read_ink(data), sequence=sequence).number == "".join(str(d) for d in y_val[picks])
        except InputError:
            pass
    return right / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="digits per condition")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, help="only these (default: all)")
    parser.add_argument("--numbers", type=int, default=None,
                        help="photographed numbers of each kind (default: count / 5)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    canvas = readings("canvas", args.count, args.seed)
    print(f"{args.count} validation digits each; the second figure counts only the digits whose canvas drawing reads right")
    print(f"{'canvas':<16}{canvas.mean():.1%}", flush=True)
    for condition in args.conditions or CONDITIONS:
        right = readings(condition, args.count, args.seed)
        print(f"{condition:<16}{right.mean():.1%}   {right[canvas].mean():.1%}", flush=True)
    numbers = args.numbers or max(1, args.count // 5)
    print(f"{'numbers':<16}{number_readings(numbers, args.seed):.1%} of {numbers} whole numbers on paper, "
          f"{number_readings(numbers, args.seed, ('board',)):.1%} of {numbers} on a board")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
