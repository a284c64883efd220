"""MNIST's recipe: an ink map of any size -> the uint8 28x28 digit the model was trained on.

`to_mnist` crops to the ink, brings the pen to MNIST's stroke width (so thin and thick pens, tiny
and huge digits read alike), fits the digit into 20x20 keeping its aspect ratio, and centres its
mass in 28x28, as MNIST did. `to_model_input` scales for the model: training, evaluation and
serving all call it.
"""

from __future__ import annotations

import cv2
import numpy as np

from recognition.errors import EmptyDrawingError, InputError

SIZE = 28  # side of the model's input
BOX = 20  # MNIST fits each digit's longest side into 20 pixels ...
WORK = 64  # ... after stroke-width normalisation at this working resolution
COARSE = 128  # stray specks are found on a copy reduced to about this many pixels a side

# MNIST's median stroke width relative to the digit's longest side, measured with
# `stroke_width` on the training set (see tests/test_preprocessing.py, which re-measures it).
MNIST_STROKE_RATIO = 0.136
INK_THRESHOLD = 0.35  # ink map level above which a pixel counts as ink
MIN_CONTRAST = 0.12  # below this peak contrast an image holds no drawing
MIN_COMPONENT_SHARE = 0.02  # specks smaller than this share of the ink are dropped


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the True pixels of a 2-D mask, bottom and right exclusive; None if none."""
    mask = np.asarray(mask)
    if mask.size == 0:
        return None
    if mask.dtype != bool:
        mask = mask != 0
    left, top, width, height = cv2.boundingRect(mask.view(np.uint8))  # OpenCV's: a few times quicker than NumPy's
    if width == 0:
        return None
    return top, top + height, left, left + width


def labelled(labels: np.ndarray, keep, count: int) -> np.ndarray:
    """Where a label image (labels 0 to count - 1) holds one of the labels `keep`: as np.isin, by a table lookup, quicker."""
    table = np.zeros(count, bool)
    table[keep] = True
    return table[labels]


def _reduce(image: np.ndarray, factor: int) -> np.ndarray:
    """Shrink by a whole factor, averaging factor x factor blocks (OpenCV's fast area path)."""
    h, w = image.shape
    image = cv2.copyMakeBorder(image, 0, -h % factor, 0, -w % factor, cv2.BORDER_CONSTANT, value=0)
    return cv2.resize(image, (image.shape[1] // factor, image.shape[0] // factor), interpolation=cv2.INTER_AREA)


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """Resize so the longest side is `side`, keeping the aspect ratio (area filter when shrinking)."""
    factor = max(image.shape) // (2 * side)
    if factor >= 2:
        image = _reduce(image, factor)
    h, w = image.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def stroke_width(mask: np.ndarray) -> float:
    """Mean pen width of a binary drawing, in pixels: twice the ink area over its outline length."""
    mask = mask.astype(np.uint8)
    area = float(mask.sum())
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, closed=True) for c in contours)
    return 2.0 * area / max(perimeter, 1.0)


def _digit_box(ink: np.ndarray, threshold: int) -> tuple[int, int, int, int] | None:
    """Bounding box of the drawing, ignoring specks under MIN_COMPONENT_SHARE of the ink.

    The pieces are found on a copy reduced to COARSE pixels, which is fast on any canvas size.
    """
    factor = -(-max(ink.shape) // COARSE)
    coarse = ink if factor == 1 else _reduce(ink, factor)
    mask = (coarse > threshold * min(1.0, 2 / factor)).astype(np.uint8)  # thin lines fade when reduced
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count > 2:
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = np.flatnonzero(areas >= MIN_COMPONENT_SHARE * areas.sum()) + 1
        mask = labelled(labels, keep, count)
    box = bounding_box(mask)
    if box is None or factor == 1:
        return box
    top, bottom, left, right = box  # back to full resolution, one coarse pixel wider
    h, w = ink.shape
    return (max(0, (top - 1) * factor), min(h, (bottom + 1) * factor),
            max(0, (left - 1) * factor), min(w, (right + 1) * factor))


def _normalise_stroke(digit: np.ndarray) -> np.ndarray:
    """Thicken thin pens and thin thick pens to MNIST's stroke width, at the working resolution."""
    mask = digit > INK_THRESHOLD
    width = stroke_width(mask)
    target = MNIST_STROKE_RATIO * WORK
    if width <= 0:
        return digit
    change = int(round(target - width))
    if change >= 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (change + 1, change + 1))
        return cv2.dilate(digit, kernel)
    # Thin only by as much as keeps every stroke: never more than a third of the width.
    change = min(-change, int(width / 3))
    if change >= 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (change + 1, change + 1))
        return cv2.erode(digit, kernel)
    return digit


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """An ink map of any size -> a uint8 28x28 MNIST-style digit (white ink on black).

    `ink` is uint8 (0 to 255) or float (0 to 1), larger where there is more ink.
    Raises EmptyDrawingError when there is no ink to read.
    """
    ink = np.asarray(ink)
    if ink.ndim != 2 or ink.size == 0:
        raise InputError("expected a 2-D image")
    if ink.dtype != np.uint8:
        ink = (np.clip(np.nan_to_num(ink, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    peak = int(ink.max())
    if peak < MIN_CONTRAST * 255:
        raise EmptyDrawingError("the drawing is empty: draw a digit")
    box = _digit_box(ink, int(INK_THRESHOLD * peak))
    if box is None:
        raise EmptyDrawingError("the drawing is empty: draw a digit")
    top, bottom, left, right = box
    digit = ink[top:bottom, left:right]
    tight = bounding_box(digit > INK_THRESHOLD * peak)  # exact edges at full resolution
    if tight is None:
        raise EmptyDrawingError("the drawing is empty: draw a digit")
    top, bottom, left, right = tight
    digit = digit[top:bottom, left:right]
    if digit.size == ink.size and min(digit.shape) > 8 and np.count_nonzero(digit > INK_THRESHOLD * peak) > 0.95 * digit.size:
        raise EmptyDrawingError("the image is all ink: draw a digit on a plain background")
    digit = np.minimum(digit.astype(np.float32) * (1.0 / peak), 1.0)  # faint pencil reads like a marker

    # Stroke width is measured and fixed at a working resolution with a margin for dilation.
    pad = WORK // 4
    digit = cv2.copyMakeBorder(_fit(digit, WORK), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    digit = _normalise_stroke(digit)
    box = bounding_box(digit > INK_THRESHOLD / 2)
    if box is None:
        raise EmptyDrawingError("the drawing is empty: draw a digit")
    top, bottom, left, right = box
    digit = _fit(digit[top:bottom, left:right], BOX)

    # Centre of mass to the centre of the 28x28 field, as MNIST does.
    h, w = digit.shape
    total = float(digit.sum())
    cy = float((digit.sum(axis=1) * np.arange(h)).sum() / total)
    cx = float((digit.sum(axis=0) * np.arange(w)).sum() / total)
    shift = np.float32([[1, 0, SIZE / 2 - cx], [0, 1, SIZE / 2 - cy]])
    placed = cv2.warpAffine(digit, shift, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.clip(placed * 255.0 + 0.5, 0, 255).astype(np.uint8)


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 MNIST-style images, (28, 28) or (n, 28, 28), to float32 (n, 28, 28, 1) in [0, 1].

    Training, evaluation and serving all call this, so the model always sees one scaling.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    return (images.astype(np.float32) / 255.0)[..., None]
