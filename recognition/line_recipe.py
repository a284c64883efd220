"""The sequence model's input: a written number's ink as one line, LINE_HEIGHT pixels high.

The ink is cropped to its marks, scaled so they fill INNER_HEIGHT of the line (the width follows,
so digits keep their shape) and padded to a width the model's pooling divides. Training and
serving both call `to_line`, so the model sees the same thing in both.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from recognition.errors import EmptyDrawingError
from recognition.mnist_recipe import INK_THRESHOLD, MIN_CONTRAST, bounding_box

LINE_HEIGHT = 32  # pixels: the model's input height
INNER_HEIGHT = 28  # the ink's height inside the line
PAD = 8  # blank pixels left and right of the ink
STRIDE = 4  # input columns per output frame of the model
WIDTH_STEP = 32  # line widths are a multiple of this (few shapes for training, one for many numbers)
MAX_WIDTH = 1024  # wider lines are squeezed sideways to fit
LEVEL_MIN_WIDTH = 2.0  # only ink this many times wider than high is levelled (a number, not a digit)
MAX_SLOPE = 0.3  # the steepest slope levelled


@dataclass(frozen=True)
class Line:
    """A number as the sequence model's input, and how its columns map back to the input image."""

    image: np.ndarray  # float32 (LINE_HEIGHT, width) in [0, 1], ink bright
    left: float  # input x of the line's column 0
    step: float  # input pixels per line column

    def to_input_x(self, column: float) -> float:
        """The input image's x of a line column."""
        return self.left + column * self.step


def level(crop: np.ndarray, threshold: float) -> np.ndarray:
    """A number written uphill or downhill sheared level, cropped again: its digits then fill the
    line's height instead of shrinking to fit the slope. The slope is the least-squares line
    through each column's centre of ink, weighted by the column's ink."""
    h, w = crop.shape
    if w < LEVEL_MIN_WIDTH * h:
        return crop
    values = crop.astype(np.float64)
    mass = values.sum(axis=0)
    inked = mass > 0
    weights = mass[inked]
    total = weights.sum()

    def mean(v: np.ndarray) -> float:  # weighted by the columns' ink, as np.average(v, weights=weights)
        return (v * weights).sum() / total

    centres = (values * np.arange(h)[:, None]).sum(axis=0)[inked] / weights
    x = np.flatnonzero(inked).astype(np.float64)
    mx = mean(x)
    slope = mean((x - mx) * (centres - mean(centres))) / max(mean((x - mx) ** 2), 1e-9)
    slope = min(max(float(slope), -MAX_SLOPE), MAX_SLOPE)
    if abs(slope) * w < 1:
        return crop
    shear = np.float32([[1, 0, 0], [-slope, 1, max(0.0, slope * (w - 1))]])  # y' = y - slope x, kept >= 0
    out = cv2.warpAffine(crop, shear, (w, h + int(np.ceil(abs(slope) * w))), flags=cv2.INTER_LINEAR, borderValue=0)
    box = bounding_box(out > threshold)
    return out[box[0]:box[1]] if box else crop


def to_line(ink: np.ndarray) -> Line:
    """Crop, scale and pad an ink map (uint8, ink bright) to the sequence model's input."""
    ink = np.asarray(ink)
    peak = int(ink.max()) if ink.size else 0
    if peak < MIN_CONTRAST * 255:
        raise EmptyDrawingError("the drawing is empty: write a number")
    top, bottom, left, right = bounding_box(ink > INK_THRESHOLD * peak)
    crop = ink[top:bottom, left:right]
    span = crop.shape[1]  # input pixels across the ink
    early = 2 * INNER_HEIGHT / crop.shape[0]  # level at twice the line's scale: as good, far quicker
    if early < 1:
        crop = cv2.resize(crop, (max(1, round(span * early)), 2 * INNER_HEIGHT), interpolation=cv2.INTER_AREA)
    crop = level(crop, INK_THRESHOLD * peak)
    scale = INNER_HEIGHT / crop.shape[0]
    width = max(1, round(crop.shape[1] * scale))
    if width > MAX_WIDTH - 2 * PAD:
        width = MAX_WIDTH - 2 * PAD
    height = max(1, round(crop.shape[0] * scale))
    shrinking = scale < 1
    small = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    total = -(-(width + 2 * PAD) // WIDTH_STEP) * WIDTH_STEP
    line = np.zeros((LINE_HEIGHT, total), np.float32)
    y0 = (LINE_HEIGHT - height) // 2
    line[y0:y0 + height, PAD:PAD + width] = small.astype(np.float32) / peak
    step = span / width
    return Line(np.clip(line, 0.0, 1.0), left - PAD * step, step)
