"""Split the ink of a handwritten number into its digits, left to right: segmentation by recognition.

Flask-free, shared by the server, the command line and the evaluation. Data flows one way:

    ink map -> work image -> pieces (connected ink; wide marks cut along the path that crosses least ink)
    -> every plausible group of neighbouring pieces read by the classifier
    -> the grouping whose digits read best, left to right

Strokes that do not touch (a 5's flag, a two-stroke 4, a 1's foot) are grouped back into one
digit because together they read better than apart; digits that touch are split at the cut that
lets each side read as a confident digit: the cut follows the gap between them (a seam, as in
seam carving), so digits that lean into each other or overlap a little come apart whole. Each group goes through the same MNIST recipe
(`to_mnist`) as a single drawn digit, so both modes agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from recognition.classifier import NOT_A_DIGIT
from recognition.errors import EmptyDrawingError, TooManyDigitsError
from recognition.marks import MAX_DIGITS, MAX_PIECES, Reduced, Work, reduce_ink
from recognition.mnist_recipe import to_mnist
from recognition.seams import seams

MAX_GROUP = 4  # at most this many pieces make one digit
CUT_MIN_WIDTH = 0.7  # only marks wider than this share of the line height are cut (two digits at least)
MAX_JOIN_GAP = 0.05  # separate marks further apart than this share of the line height are never one digit ...
FRAGMENT = 0.5  # ... unless one is a fragment shorter than this share of the line height (a 5's flag)
FRAGMENT_GAP = 0.3  # which may lie this share of the line height away
DOT = 0.2  # a mark smaller than this share of the line height each way is a dot ...
DOT_PENALTY = -1.0  # ... which may be left out of the number at this cost
STRAY_PENALTY = -2.0  # a fragment that reads as no digit (a stray stroke) may be left out at this cost
MAX_DIGIT_WIDTH = 1.2  # nor are pieces spanning more than this share of the line height
SMALL_DIGIT = 0.4  # a digit alone shorter than this share of the line height is unlikely ...
SMALL_PENALTY = -3.0  # ... by this much log-confidence
GROUP_PENALTY = -0.1  # each extra digit costs this much log-confidence: prefer fewer, whole digits
CUT_PENALTY = -1.2  # each cut through a mark costs this much: a split must read clearly better
WIDE = 1.1  # a digit wider than this share of its height (at least most of the line's) ...
WIDE_PENALTY = -1.5  # ... costs this much per unit of extra width

Scorer = Callable[[np.ndarray], np.ndarray]  # uint8 28x28 -> calibrated class probabilities


@dataclass(frozen=True)
class Piece:
    """One connected mark, or one part of a mark that was cut: the pixels labelled `label`, in work pixels."""

    label: int
    left: int
    right: int
    top: int
    bottom: int
    mark: int = 0  # the connected mark it belongs to
    part: int = 0  # its place among the mark's parts, left to right
    parts: int = 1  # how many parts the mark was cut into

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


@dataclass(frozen=True)
class Segment:
    """One digit found in the drawing: where it is and what the classifier saw and said."""

    box: tuple[int, int, int, int]  # x, y, width, height in the input image's pixels
    image: np.ndarray  # uint8 28x28, as `to_mnist` makes it
    probabilities: np.ndarray  # calibrated, the ten digits then "not a digit"


def prepare(ink: np.ndarray, reduced: Reduced | None = None) -> tuple[Work, list[Piece]]:
    """Crop and reduce the ink (unless `reduced` gives it already), label its marks, drop specks and cut the wide marks."""
    work, stats, marks = reduced or reduce_ink(ink)
    work = replace(work, labels=work.labels.copy())  # cutting relabels pieces: the caller's copy stays as it was
    pieces = [piece for i in marks for piece in _cut(work, i, stats[i])]
    return work, sorted(pieces, key=lambda p: p.centre)[:MAX_PIECES]


def _cut(work: Work, label: int, stat: np.ndarray) -> list[Piece]:
    """One mark as pieces: whole, or split along the seams that cross little enough ink."""
    x, y, w, h = (int(stat[k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    whole = [Piece(label, x, x + w, y, y + h, mark=label)]
    if w <= CUT_MIN_WIDTH * work.height:
        return whole
    region = work.labels[y:y + h, x:x + w]
    mine = region == label
    cuts = seams(mine, work.height, work.pen)
    if not cuts:
        return whole
    columns = np.arange(w)[None, :]
    bounds = [np.zeros(h, int), *cuts, np.full(h, w)]
    pieces = []
    for part, (a, b) in enumerate(zip(bounds, bounds[1:])):
        inside = mine & (columns >= a[:, None]) & (columns < b[:, None])
        rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
        if rows.size == 0:
            continue
        sub = label if part == 0 else work.next_label()
        region[inside] = sub
        pieces.append(Piece(sub, x + int(cols[0]), x + int(cols[-1]) + 1, y + int(rows[0]), y + int(rows[-1]) + 1,
                            mark=label, part=part, parts=len(bounds) - 1))
    return pieces


def group_image(work: Work, group: list[Piece]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The ink of a group of pieces alone, cropped, and its box (left, top, right, bottom) in work pixels."""
    left, right = min(p.left for p in group), max(p.right for p in group)
    top, bottom = min(p.top for p in group), max(p.bottom for p in group)
    mask = np.zeros((bottom - top, right - left), bool)
    for p in group:
        mask[:, p.left - left:p.right - left] |= work.labels[top:bottom, p.left:p.right] == p.label
    return np.where(mask, work.ink[top:bottom, left:right], 0).astype(np.uint8), (left, top, right, bottom)


def _is_fragment(piece: Piece, height: float) -> bool:
    return piece.height < FRAGMENT * height


def _is_dot(piece: Piece, height: float) -> bool:
    return max(piece.height, piece.right - piece.left) < DOT * height


def _joinable(group: list[Piece], height: float) -> bool:
    """Whether pieces are close and narrow enough together to be one digit."""
    if len(group) == 1:
        return True
    if max(p.right for p in group) - min(p.left for p in group) > MAX_DIGIT_WIDTH * height:
        return False
    ordered = sorted(group, key=lambda p: p.left)
    reach, small = ordered[0].right, _is_fragment(ordered[0], height)
    for p in ordered[1:]:
        gap = FRAGMENT_GAP if small or _is_fragment(p, height) else MAX_JOIN_GAP
        if p.left - reach > gap * height:
            return False
        reach, small = max(reach, p.right), _is_fragment(p, height)
    return True


def _cuts_used(group: list[Piece]) -> int:
    """How many cuts through a mark separate a piece of the group from a neighbour outside it."""
    members = {(p.mark, p.part) for p in group}
    return sum((p.part > 0 and (p.mark, p.part - 1) not in members) +
               (p.part < p.parts - 1 and (p.mark, p.part + 1) not in members) for p in group)


class Reader:
    """Reads groups of pieces with the classifier, each group once."""

    def __init__(self, work: Work, pieces: list[Piece], probabilities: Scorer):
        self.work, self.pieces, self.probabilities = work, pieces, probabilities
        self.cache: dict[tuple[int, int], tuple[float, np.ndarray, np.ndarray] | None] = {}

    def skip_cost(self, i: int) -> float:
        """What leaving piece i out of the number costs: nothing if it cannot be read, a little if
        it is a dot or a fragment that reads as no digit (a stray stroke), else it cannot be left out."""
        found = self.read(i, i + 1)
        if found is None:
            return 0.0
        piece, height = self.pieces[i], self.work.height
        if _is_dot(piece, height):
            return DOT_PENALTY
        if _is_fragment(piece, height) and len(found[2]) > NOT_A_DIGIT and found[2][NOT_A_DIGIT] >= 0.5:
            return STRAY_PENALTY
        return -np.inf

    def read(self, i: int, j: int) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Score, 28x28 image and probabilities of pieces i..j-1 as one digit; None if they cannot be one."""
        if (i, j) not in self.cache:
            self.cache[i, j] = self._read(self.pieces[i:j])
        return self.cache[i, j]

    def _read(self, group: list[Piece]) -> tuple[float, np.ndarray, np.ndarray] | None:
        if not _joinable(group, self.work.height):
            return None
        image, _ = group_image(self.work, group)
        try:
            digit = to_mnist(image)
        except EmptyDrawingError:
            return None
        probs = self.probabilities(digit)
        return self._score(group, probs, image.shape), digit, probs

    def _score(self, group: list[Piece], probs: np.ndarray, shape: tuple[int, int]) -> float:
        """Log-confidence of the best digit, less what makes such a digit unlikely."""
        height, width = shape
        line = self.work.height
        score = float(np.log(max(float(probs[:10].max()), 1e-9))) + GROUP_PENALTY
        score += CUT_PENALTY / 2 * _cuts_used(group)
        score += WIDE_PENALTY * max(0.0, width / max(height, 0.8 * line) - WIDE)
        if height < SMALL_DIGIT * line:
            score += SMALL_PENALTY
        return score


def best_grouping(reader: Reader) -> list[tuple[int, int]]:
    """The split of the pieces into consecutive groups whose digits read best together (dynamic programme)."""
    n = len(reader.pieces)
    best = [0.0] + [-np.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        skip = reader.skip_cost(j - 1)
        if best[j - 1] + skip > best[j]:
            best[j], back[j] = best[j - 1] + skip, -(j - 1) - 1  # the piece is left out
        for i in range(max(0, j - MAX_GROUP), j):
            if best[i] == -np.inf:
                continue
            found = reader.read(i, j)
            if found is not None and best[i] + found[0] > best[j]:
                best[j], back[j] = best[i] + found[0], i
    if best[n] == -np.inf:
        raise EmptyDrawingError("the drawing is empty: write a number")
    spans, j = [], n
    while j > 0:
        if back[j] < 0:
            j = -back[j] - 1
            continue
        spans.append((back[j], j))
        j = back[j]
    if not spans:
        raise EmptyDrawingError("the drawing is empty: write a number")
    return spans[::-1]


def segment(ink: np.ndarray, probabilities: Scorer, reduced: Reduced | None = None) -> list[Segment]:
    """The digits of a handwritten number, left to right, read with `probabilities` (`reduced`: the
    ink's `reduce_ink`, where the caller has it)."""
    work, pieces = prepare(ink, reduced)
    reader = Reader(work, pieces, probabilities)
    spans = best_grouping(reader)
    if len(spans) > MAX_DIGITS:
        raise TooManyDigitsError(f"too many digits: write a number of at most {MAX_DIGITS} digits")
    segments = []
    for i, j in spans:
        _, digit, probs = reader.read(i, j)
        segments.append(Segment(_input_box(work, pieces[i:j]), digit, probs))
    return segments


def _input_box(work: Work, group: list[Piece]) -> tuple[int, int, int, int]:
    """A group's ink box as x, y, width, height in the input image's pixels."""
    image, (left, top, _, _) = group_image(work, group)
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    f, (ox, oy) = work.factor, work.offset
    x0, y0 = ox + (left + int(cols[0])) * f, oy + (top + int(rows[0])) * f
    x1, y1 = ox + (left + int(cols[-1]) + 1) * f, oy + (top + int(rows[-1]) + 1) * f
    return x0, y0, x1 - x0, y1 - y0
