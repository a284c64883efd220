"""Where to cut a mark that holds several touching digits: seams, the top-to-bottom paths that cross least ink.

As in seam carving, one dynamic programme over the rows gives, for every bottom column, the path
from the top crossing the least ink (drifting sideways costs a little), so a cut can follow the
gap between two digits that lean into each other or overlap a little.
"""

from __future__ import annotations

import numpy as np

CUT_MARGIN = 0.15  # cuts stay this share of the line height inside a mark
CUT_SPACING = 0.2  # and this far apart
CUT_MAX_INK = 1.6  # a cut crosses at most this many pen widths of ink
CUT_SLANT = 0.25  # a cut's cost of one pixel of sideways drift, in pixels of ink crossed


def seams(mine: np.ndarray, height: float, pen: float) -> list[np.ndarray]:
    """Top-to-bottom paths through a mark, left to right, each crossing at most CUT_MAX_INK pen widths of ink.

    A dynamic programme over rows (as seam carving does) finds, for every bottom column, the path
    from the top that crosses least ink, drifting sideways at a small cost; each path is given as
    its column on every row.
    """
    h, w = mine.shape
    totals = seam_totals(mine)
    last = totals[-1]
    margin = max(1, int(CUT_MARGIN * height))
    spacing = max(1, int(CUT_SPACING * height))
    inner = np.arange(margin, w - margin)
    if inner.size == 0:
        return []
    low = last[inner] <= CUT_MAX_INK * pen
    minima = (last[inner] <= last[inner - 1]) & (last[inner] <= last[inner + 1])
    ends = inner[low & minima]
    ends = ends[np.argsort(last[ends], kind="stable")]
    seams: list[np.ndarray] = []
    for path in trace(totals, ends).T:
        middle = float(path.mean())
        if margin <= middle < w - margin and all(abs(middle - other.mean()) >= spacing for other in seams):
            seams.append(path)
    return sorted(seams, key=lambda path: float(path.mean()))


def seam_totals(mine: np.ndarray) -> np.ndarray:
    """For every pixel, the least ink a path from the top row down to it crosses, drifting sideways at CUT_SLANT a pixel."""
    h, w = mine.shape
    cost = mine.astype(np.float32)
    totals = np.full((h, w + 2), np.inf, np.float32)  # a column of infinity each side: no path leaves the mark
    totals[0, 1:-1] = cost[0]
    side = np.empty(w, np.float32)
    for row in range(1, h):
        above = totals[row - 1]
        np.minimum(above[:-2], above[2:], out=side)  # the cheaper neighbour above, one pixel sideways ...
        side += CUT_SLANT
        np.minimum(side, above[1:-1], out=side)  # ... or straight above
        np.add(side, cost[row], out=totals[row, 1:-1])
    return totals[:, 1:-1]


def trace(totals: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The paths ending at bottom columns `ends`, followed back up through the programme's totals: (h, len(ends))."""
    h, w = totals.shape
    padded = np.pad(totals, ((0, 0), (1, 1)), constant_values=np.inf)
    slant = np.array([CUT_SLANT, 0.0, CUT_SLANT], np.float32)
    paths = np.empty((h, len(ends)), int)
    paths[-1] = ends
    for row in range(h - 1, 0, -1):
        columns = paths[row]
        options = padded[row - 1, columns[:, None] + np.arange(3)] + slant
        paths[row - 1] = columns + np.argmin(options, axis=1) - 1
    return paths
