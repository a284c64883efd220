"""A written number's ink reduced to working size and its marks labelled: where both readers start.

The guided cut (`guided.py`) and segmentation by recognition (`segment.py`) both work on this one
reduction: the ink cropped, shrunk until it is at most WORK_HEIGHT pixels high, its connected
marks labelled and stray specks left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from recognition.errors import EmptyDrawingError, InputError, TooManyDigitsError
from recognition.mnist_recipe import INK_THRESHOLD, MIN_CONTRAST, bounding_box, stroke_width

MAX_DIGITS = 20  # a number has 1 to MAX_DIGITS digits
MAX_PIECES = 4 * MAX_DIGITS  # more separate marks than this are refused before any reading
WORK_HEIGHT = 80  # the ink is reduced until its height is at most this, for speed (as accurate as 160)
SPECK_AREA = 0.02  # marks under this share of the largest mark's area ...
SPECK_SIZE = 0.12  # ... and under this share of the line height are specks, dropped


@dataclass
class Work:
    """The drawing at working resolution: ink, labelled marks and how to map back to the input."""

    ink: np.ndarray
    labels: np.ndarray
    factor: int  # input pixels per work pixel
    offset: tuple[int, int]  # input x, y of the work image's top-left corner
    height: float  # line height in work pixels
    mask: np.ndarray  # uint8, 1 where there is ink
    labels_used: int = 0  # the largest label given so far

    @cached_property
    def pen(self) -> float:
        """Pen width in work pixels (only cutting marks needs it)."""
        return max(1.0, stroke_width(self.mask > 0))

    def next_label(self) -> int:
        """A label no mark or piece uses yet, for a part of a cut mark."""
        self.labels_used += 1
        return self.labels_used


Reduced = tuple[Work, np.ndarray, list[int]]  # what `reduce_ink` returns


def reduce_ink(ink: np.ndarray) -> Reduced:
    """The ink cropped and reduced to working size, its marks labelled: the work, the marks' stats, the marks kept."""
    ink = np.asarray(ink)
    if ink.ndim != 2 or ink.size == 0:
        raise InputError("expected a 2-D image")
    peak = int(ink.max())
    if peak < MIN_CONTRAST * 255:
        raise EmptyDrawingError("the drawing is empty: write a number")
    inked = ink > INK_THRESHOLD * peak
    top, bottom, left, right = bounding_box(inked)
    crop = ink[top:bottom, left:right]
    if crop.size == ink.size and min(crop.shape) > 8 and inked.mean() > 0.95:
        raise EmptyDrawingError("the image is all ink: write a number on a plain background")
    factor = max(1, -(-crop.shape[0] // WORK_HEIGHT))
    if factor > 1:
        size = (max(1, crop.shape[1] // factor), max(1, crop.shape[0] // factor))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    mask = (crop > INK_THRESHOLD * peak * min(1.0, 2 / factor)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    marks = [int(i) for i in range(1, count)]
    if not marks:
        raise EmptyDrawingError("the drawing is empty: write a number")
    height = float(max(stats[i, cv2.CC_STAT_HEIGHT] for i in marks))
    largest = max(stats[i, cv2.CC_STAT_AREA] for i in marks)
    marks = [i for i in marks if not _is_speck(stats[i], largest, height)]
    if len(marks) > MAX_PIECES:
        raise TooManyDigitsError(f"too many separate marks: write a number of at most {MAX_DIGITS} digits")
    work = Work(crop, labels, factor, (left, top), height, mask, count - 1)
    return work, stats, marks


def _is_speck(stat: np.ndarray, largest: int, height: float) -> bool:
    """A tiny mark far smaller than the others: a stray touch of the pen."""
    size = max(stat[cv2.CC_STAT_WIDTH], stat[cv2.CC_STAT_HEIGHT])
    return stat[cv2.CC_STAT_AREA] < SPECK_AREA * largest and size < SPECK_SIZE * height
