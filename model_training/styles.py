"""Handwriting styles MNIST hardly contains, made from MNIST digits without changing their label.

Each family adds or replaces strokes the way many people write that digit: a slash through the
0, a crossbar on the 7, a flag and foot on the 1, a curled or straight tail on the 9, a long
stem on the 6, an open 4 drawn in two strokes. Strokes are drawn at four times MNIST's
resolution with a round pen as wide as the digit's own strokes; the result goes through the
serving recipe (`to_mnist`), so the model trains on what the server will hand it.

A generator returns None when a digit does not suit it (a 9 without a closed loop cannot get a
straight stem), and the caller draws another digit.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from recognition.mnist_recipe import stroke_width

SCALE = 4  # strokes are drawn at 4x MNIST's 28x28
MARGIN = 7 * SCALE  # room around the digit for strokes that reach beyond it
BIG = 28 * SCALE + 2 * MARGIN

Generator = Callable[[np.ndarray, np.random.Generator], "np.ndarray | None"]


def upscale(digit: np.ndarray) -> np.ndarray:
    """A uint8 28x28 digit at the working resolution with a margin around it (uint8, BIG x BIG)."""
    big = cv2.resize(digit, (28 * SCALE, 28 * SCALE), interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(big, MARGIN, MARGIN, MARGIN, MARGIN, cv2.BORDER_CONSTANT, value=0)


def pen_width(big: np.ndarray) -> int:
    """The digit's own pen width in working pixels."""
    return max(3, int(round(stroke_width(big > 127))))


def draw(big: np.ndarray, points, width: float) -> np.ndarray:
    """`big` with a round-pen polyline through `points` ((x, y) working pixels) added."""
    layer = np.zeros_like(big)
    pts = np.round(np.asarray(points, np.float64) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(layer, [pts], False, 255, thickness=max(1, int(round(width))), lineType=cv2.LINE_AA, shift=4)
    return np.maximum(big, layer)


def box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the ink, bottom and right inclusive."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def end_point(mask: np.ndarray, where: str, band: int = 6) -> np.ndarray:
    """The (x, y) middle of the ink in the top or bottom `band` rows of the drawing."""
    top, bottom, _, _ = box(mask)
    rows = slice(top, top + band) if where == "top" else slice(bottom - band + 1, bottom + 1)
    ys, xs = np.nonzero(mask[rows])
    return np.array([xs.mean(), ys.mean() + (top if where == "top" else bottom - band + 1)])


def _holes(mask: np.ndarray, min_area: float) -> list[np.ndarray]:
    """The contours of the enclosed background regions (loops) of at least `min_area` pixels."""
    contours, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    return [c for c, h in zip(contours, hierarchy[0]) if h[3] != -1 and cv2.contourArea(c) >= min_area]


def largest_hole(mask: np.ndarray, min_area: float = 40.0) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the largest enclosed background region (a loop), or None."""
    found = _holes(mask, min_area)
    if not found:
        return None
    return tuple(int(v) for v in cv2.boundingRect(max(found, key=cv2.contourArea)))


def holes(mask: np.ndarray, min_area: float = 40.0) -> int:
    """How many enclosed background regions (loops) the drawing has."""
    return len(_holes(mask, min_area))


def rotate(vector: np.ndarray, degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([vector[0] * np.cos(a) - vector[1] * np.sin(a), vector[0] * np.sin(a) + vector[1] * np.cos(a)])


def slashed_zero(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Ø: a slash from below the bottom left to above the top right, across the hole."""
    big = upscale(digit)
    mask = big > 127
    if largest_hole(mask) is None:
        return None
    top, bottom, left, right = box(mask)
    h, w = bottom - top, right - left
    over = rng.uniform(0.0, 0.2, size=2)
    start = [left - over[0] * w + rng.normal(0, 0.05) * w, bottom + over[0] * h]
    end = [right + over[1] * w + rng.normal(0, 0.05) * w, top - over[1] * h]
    if rng.random() < 0.15:  # some slash the other way
        start[0], end[0] = right + over[0] * w, left - over[1] * w
    return draw(big, [start, end], pen_width(big) * rng.uniform(0.7, 1.1))


def crossbar_seven(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 7 with a short bar across its stem, half-way down."""
    big = upscale(digit)
    mask = big > 127
    top, bottom, left, right = box(mask)
    h = bottom - top
    y = int(top + rng.uniform(0.45, 0.62) * h)
    cols = np.flatnonzero(mask[y])
    if cols.size == 0 or np.ptp(cols) > 0.3 * h:
        return None
    x = cols.mean()
    half = rng.uniform(0.2, 0.32) * h
    tilt = rng.uniform(-0.05, 0.05) * h
    return draw(big, [(x - half * rng.uniform(0.8, 1.2), y + tilt), (x + half, y - tilt)],
                pen_width(big) * rng.uniform(0.7, 1.1))


def flag_one(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """The European 1: a long up-stroke flag into the top, often a foot at the bottom."""
    big = upscale(digit)
    mask = big > 127
    top, bottom = end_point(mask, "top"), end_point(mask, "bottom")
    length = float(np.linalg.norm(bottom - top))
    if length < 0.4 * 28 * SCALE:
        return None
    down = (bottom - top) / length
    # Steeply down to the left, whatever the slant of the stem: a flat flag would make a 7.
    flag = top + rotate(np.array([0.0, 1.0]), rng.uniform(30, 50)) * rng.uniform(0.3, 0.45) * length
    pen = pen_width(big) * rng.uniform(0.7, 1.0)
    big = draw(big, [flag, top], pen)
    if rng.random() < 0.5:
        across = np.array([-down[1], down[0]])
        reach = rng.uniform(0.15, 0.28) * length
        big = draw(big, [bottom - across * reach, bottom + across * reach], pen)
    return big


def hooked_seven(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 7 whose stem ends in a small hook or curl, to the left or to the right."""
    big = upscale(digit)
    mask = big > 127
    top, bottom, _, _ = box(mask)
    foot = end_point(mask, "bottom")
    side = -1.0 if rng.random() < 0.8 else 1.0  # a foot to the right is short, or it reads as a 2
    r = rng.uniform(0.08, 0.14) * (bottom - top) * (1.0 if side < 0 else 0.6)
    hook = [foot, foot + (side * 0.6 * r, 0.6 * r), foot + (side * 1.7 * r, 0.4 * r), foot + (side * 2.3 * r, -0.4 * r)]
    return draw(big, hook, pen_width(big) * rng.uniform(0.7, 1.0))


def curled_nine(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 9 whose tail curls back to the left and up, like a g."""
    big = upscale(digit)
    mask = big > 127
    top, bottom, _, _ = box(mask)
    tail = end_point(mask, "bottom", band=2)
    r = rng.uniform(0.14, 0.2) * (bottom - top)
    centre = tail - (r, 0.0)
    t = np.linspace(0.0, np.pi * rng.uniform(0.9, 1.15), 16)
    curl = centre + r * np.stack([np.cos(t), np.sin(t) * rng.uniform(0.7, 1.0)], axis=1)
    big = draw(big, curl, pen_width(big) * rng.uniform(0.7, 1.0))
    return big if holes(big > 127) == 1 else None  # a curl that closes a second loop makes an 8


def _looped(digit: np.ndarray):
    """The digit at working resolution with its loop, extent and pen: (big, (x, y, w, h), top, bottom, pen),
    or None when it has no closed loop."""
    big = upscale(digit)
    mask = big > 127
    hole = largest_hole(mask)
    if hole is None:
        return None
    top, bottom, _, _ = box(mask)
    return big.copy(), hole, top, bottom, pen_width(big)


def straight_nine(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 9 whose tail is replaced by a straight stem down from the loop's right side."""
    found = _looped(digit)
    if found is None:
        return None
    big, (x, y, w, h), top, bottom, pen = found
    if y + h > top + 0.65 * (bottom - top):
        return None
    big[int(y + h + 0.9 * pen):] = 0
    start = (x + w + 0.4 * pen, y + h / 2)
    end = (start[0] + rng.uniform(-0.06, 0.1) * (bottom - top), bottom)
    return draw(big, [start, end], pen * rng.uniform(0.8, 1.05))


def long_stem_six(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 6 whose curved top is replaced by a long straight stem up from the loop's left side."""
    found = _looped(digit)
    if found is None:
        return None
    big, (x, y, w, h), top, bottom, pen = found
    if y < top + 0.3 * (bottom - top):
        return None
    big[: max(0, int(y - 0.9 * pen))] = 0
    start = (x - 0.4 * pen, y + h * rng.uniform(0.2, 0.5))
    rise = (bottom - y) * rng.uniform(1.1, 1.6)
    end = (start[0] + rng.uniform(0.1, 0.3) * rise, start[1] - rise)
    return draw(big, [start, end], pen * rng.uniform(0.8, 1.05))


def open_four(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 4 with an open top in two strokes, following the height and slant of an MNIST 4."""
    mask = upscale(digit) > 127
    top, bottom, left, right = box(mask)
    h = bottom - top
    slant = (end_point(mask, "bottom")[0] - end_point(mask, "top")[0]) / max(h, 1) * 0.5
    u = lambda lo, hi: rng.uniform(lo, hi)  # noqa: E731
    bar = top + u(0.5, 0.68) * h
    w = u(0.55, 0.8) * h
    x0 = (left + right) / 2 - w / 2
    pen = pen_width(upscale(digit)) * u(0.8, 1.05)
    stem_x = x0 + u(0.62, 0.8) * w
    top_x = min(x0 + u(0.1, 0.3) * w, stem_x - 2.2 * pen)  # the gap that keeps the top open
    first = [(top_x, top + u(0.0, 0.12) * h), (x0 + u(-0.05, 0.12) * w, bar), (x0 + u(0.95, 1.15) * w, bar + u(-0.04, 0.04) * h)]
    second = [(stem_x + slant * h * 0.3, top + u(-0.05, 0.1) * h), (stem_x - slant * h * 0.3 + u(-0.05, 0.05) * h, bottom)]
    return draw(draw(np.zeros((BIG, BIG), np.uint8), first, pen), second, pen)


# family name -> (the label it keeps, its generator)
FAMILIES: dict[str, tuple[int, Generator]] = {
    "slashed_zero": (0, slashed_zero),
    "flag_one": (1, flag_one),
    "crossbar_seven": (7, crossbar_seven),
    "hooked_seven": (7, hooked_seven),
    "curled_nine": (9, curled_nine),
    "straight_nine": (9, straight_nine),
    "long_stem_six": (6, long_stem_six),
    "open_four": (4, open_four),
}
