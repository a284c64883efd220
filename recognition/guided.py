"""Cut a written number where the sequence model says its digits meet, then read each digit alone.

The sequence model (`sequence.py`) reads the whole line and spots each mark just before its
left edge comes into view; between two neighbours the cut follows the seam that crosses least
ink (`seams.py`) within a window around where the right one's edge is expected, so digits that touch or lean
into each other come apart whole. Each part then goes through the same MNIST recipe and digit
model as a single drawn digit. `number.py` keeps these parts when the digit model reads each as
the sequence model did, and otherwise asks segmentation by recognition (`segment.py`) too.
"""

from __future__ import annotations

import numpy as np

from recognition.classifier import NOT_A_DIGIT
from recognition.errors import EmptyDrawingError
from recognition.line_recipe import Line
from recognition.marks import Reduced
from recognition.mnist_recipe import bounding_box, labelled, to_mnist
from recognition.seams import CUT_SLANT, seam_totals
from recognition.segment import FRAGMENT, MAX_JOIN_GAP, Scorer, Segment
from recognition.sequence import Spotted

CUT_OFFSET = 4.0  # the cut before a spotted mark is expected this many line columns after its first frame ...
CUT_REACH = 8.0  # ... give or take this many
SEAM_ROWS = 4  # cuts are found on bands of this many rows


def guided_segments(reduced: Reduced, line: Line, spotted: list[Spotted], probabilities: Scorer) -> list[Segment] | None:
    """The marks of an ink map (as `reduce_ink` gives it) cut where `spotted` places them, each read
    by `probabilities`; None where a part holds no ink or, plainly, two digits."""
    if not spotted:
        return None
    work, _, marks = reduced
    kept = labelled(work.labels, marks, work.labels_used + 1)
    h, w = kept.shape

    def to_work(column: float) -> float:
        return (line.to_input_x(column) - work.offset[0]) / work.factor

    bounds = [np.zeros(h, int)]
    for left, right in zip(spotted, spotted[1:]):
        near = right.columns()[0] + CUT_OFFSET  # the model spots a mark just before its left edge
        start = int(to_work(max(near - CUT_REACH, left.columns()[1])))
        stop = int(np.ceil(to_work(near + CUT_REACH)))
        start, stop = max(start, int(bounds[-1].min()) + 1, 0), min(stop, w - 1)
        if stop < start:
            return None
        path = _seam(kept[:, start:stop + 1]) + start  # the cut stays inside its window
        bounds.append(np.maximum(path, bounds[-1]))
    bounds.append(np.full(h, w))

    segments = []
    for a, b in zip(bounds, bounds[1:]):
        x0, x1 = int(a.min()), int(b.max())  # the part lies within these columns
        columns = np.arange(x0, x1)[None, :]
        inside = kept[:, x0:x1] & (columns >= a[:, None]) & (columns < b[:, None])
        box = bounding_box(inside)
        if box is None:
            return None
        top, bottom, left, right = box
        if holds_two(inside[:, left:right], work.height):
            return None
        image = np.where(inside, work.ink[:, x0:x1], 0)[top:bottom, left:right].astype(np.uint8)
        left, right = left + x0, right + x0
        try:
            digit = to_mnist(image)
        except EmptyDrawingError:
            return None
        f, (ox, oy) = work.factor, work.offset
        segments.append(Segment((ox + left * f, oy + top * f, (right - left) * f, (bottom - top) * f),
                                digit, probabilities(digit)))
    return segments


def _seam(window: np.ndarray) -> np.ndarray:
    """The top-to-bottom path through a window crossing least ink, its column on every row; found on
    bands of SEAM_ROWS rows (a band is ink where any of its rows is), four times quicker and as good."""
    h = window.shape[0]
    empty = np.flatnonzero(~window.any(axis=0))
    if empty.size:  # a clear gap: the seam is its first column, straight down (what the programme finds, quicker)
        return np.full(h, empty[0])
    banded = np.logical_or.reduceat(window, np.arange(0, h, SEAM_ROWS), axis=0)
    totals = seam_totals(banded)
    rows = totals.tolist()  # one path, followed up row by row: plain Python beats array calls here
    column = int(np.argmin(totals[-1]))
    path = [column]
    for row in rows[-2::-1]:
        options = [(row[c] + (CUT_SLANT if c != column else 0.0), c)
                   for c in (column - 1, column, column + 1) if 0 <= c < len(row)]
        column = min(options)[1]
        path.append(column)
    return np.repeat(np.array(path[::-1]), SEAM_ROWS)[:h]


def holds_two(mask: np.ndarray, line: float) -> bool:
    """Whether a part's ink (cropped to its columns) holds two full-height marks with a clear gap
    between them: two digits, which segmentation would never join (its MAX_JOIN_GAP and FRAGMENT),
    so the sequence model missed one."""
    inked = mask.any(axis=0)
    if inked.all():  # no gap at all
        return False
    edges = np.flatnonzero(np.diff(inked.astype(np.int8)))  # last ink column before each gap, last blank after
    for end, start in zip(edges[::2] + 1, edges[1::2] + 1):
        if start - end > MAX_JOIN_GAP * line and _height(mask[:, :end]) >= FRAGMENT * line \
                and _height(mask[:, start:]) >= FRAGMENT * line:
            return True
    return False


def _height(mask: np.ndarray) -> int:
    box = bounding_box(mask)
    return box[1] - box[0] if box else 0


def agrees(segments: list[Segment], spotted: list[Spotted], reject_above: float) -> bool:
    """Whether the digit model reads every part as the sequence model did: the same digit, or no digit."""
    for segment, spot in zip(segments, spotted, strict=True):
        probs = segment.probabilities
        rejected = len(probs) > NOT_A_DIGIT and probs[NOT_A_DIGIT] >= reject_above
        if rejected != (spot.digit == NOT_A_DIGIT) or (not rejected and int(np.argmax(probs[:10])) != spot.digit):
            return False
    return True
