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
from recognition.mnist_recipe import INK_THRESHOLD, MIN_CONTRAST

LINE_HEIGHT = 32  # pixels: the model's input height
INNER_HEIGHT = 28  # the ink's height inside the line
PAD = 8  # blank pixels left and right of the ink
STRIDE = 4  # input columns per output frame of the model
WIDTH_STEP = 32  # line widths are a multiple of this (few shapes for training, one for many numbers)
MAX_WIDTH = 1024  # wider lines are squeezed sideways to fit


@dataclass(frozen=True)
class Line:
    """A number as the sequence model's input, and how its columns map back to the input image."""

    image: np.ndarray  # float32 (LINE_HEIGHT, width) in [0, 1], ink bright
    left: float  # input x of the line's column 0
    step: float  # input pixels per line column

    def to_input_x(self, column: float) -> float:
        """The input image's x of a line column."""
        return self.left + column * self.step


def to_line(ink: np.ndarray) -> Line:
    """Crop, scale and pad an ink map (uint8, ink bright) to the sequence model's input."""
    ink = np.asarray(ink)
    peak = int(ink.max()) if ink.size else 0
    if peak < MIN_CONTRAST * 255:
        raise EmptyDrawingError("the drawing is empty: write a number")
    inked = ink > INK_THRESHOLD * peak
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    top, left = int(rows[0]), int(cols[0])
    crop = ink[top:rows[-1] + 1, left:cols[-1] + 1]
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
    step = crop.shape[1] / width
    return Line(np.clip(line, 0.0, 1.0), left - PAD * step, step)
