"""Ink from a photo of writing on paper: uneven light, shadows, ruled or squared paper, the table.

The paper's illumination is estimated with a large morphological closing (which removes the
writing but keeps shadows and the table) and divided out, so every pixel says how much of the
paper's light it absorbs. Pen and pencil strokes are the strongest absorbers on the paper; the
printed lines of ruled and squared paper are long straight segments (found by a Hough
transform) and are taken out except where a stroke crosses them; what lies off the paper, the
paper's edge and specks are dropped. The result is the same ink map a canvas gives.

A board (chalk or a light marker on a dark surface: a dark region over much of the photo, a small
share of it much lighter) is read as its negative, where the writing is the dark part as on paper
and a light wall around the board is the table around a sheet.
"""

from __future__ import annotations

import cv2
import numpy as np

from recognition.mnist_recipe import labelled

WORK_SIDE = 1024  # photos are read at most this many pixels a side
LIGHT_SIDE = 256  # the paper's light is estimated at this size ...
LIGHT_KERNEL = 1 / 12  # ... with a closing this share of its side: wider than any pen stroke
PAPER_LIGHT = 0.45  # paper reflects at least this share of the brightest paper's light ...
PAPER_SATURATION = 0.3  # ... and is nearly grey (a wooden table is not)
PAPER_MIN_SHARE = 0.05  # paper regions smaller than this share of the photo are ignored
EDGE_MARGIN = 0.015  # ink within this share of the side of the paper's edge is the edge itself
MIN_INK = 0.2  # a stroke absorbs at least this share of the paper's light
CORE = 0.5  # a stroke's core absorbs at least this share of the strongest ink's absorption ...
EDGE = 0.25  # ... and its soft edge this share
LINE_SIDE = 320  # printed lines are looked for at about this size
LINE_LENGTH = 0.55  # printed lines run across at least this share of the photo
LINE_STRENGTH = 0.8  # and are lighter than this share of the strongest ink
LINE_WIDTH = 0.006  # and thinner than this share of the photo's shorter side (a pen stroke is wider)
SPECK_SHARE = 0.02  # marks under this share of the largest mark are specks
BOARD_LEVEL = 100  # a board's median grey level is under this ...
BOARD_CONTRAST = 60  # ... and its writing this many grey levels lighter ...
BOARD_WRITING = 0.25  # ... over less than this share of the board (more is a sheet on a dark table)
BOARD_SHARE = 0.3  # the board, the largest dark region with what it encloses, covers this share of the photo


def photo_ink(rgb: np.ndarray) -> np.ndarray:
    """An RGB uint8 photo of writing on paper -> uint8 ink map (0 none, 255 the strongest ink).

    All zeros when the photo holds no writing (blank paper, only the table)."""
    rgb = _shrink(rgb, WORK_SIDE)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if is_board(gray):
        gray = 255 - gray
        rgb = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    return _paper_ink(rgb, gray)


def is_board(gray: np.ndarray) -> bool:
    """Whether a uint8 grey photo shows light writing on a dark surface: a dark region over much of
    the photo (whatever lies around it, a light wall included), and a small share of that region
    (the writing) much lighter, more of it than is much darker (a dim photo of paper with a glare
    has its writing darker than the paper)."""
    small = _shrink(gray, LIGHT_SIDE)
    board = _dark_region(small)
    if board.mean() < BOARD_SHARE:
        return False
    inside = small[board]
    level = float(np.median(inside))
    lighter = float(np.mean(inside > level + BOARD_CONTRAST))
    darker = float(np.mean(inside < level - BOARD_CONTRAST))
    return level < BOARD_LEVEL and darker < lighter < BOARD_WRITING


def _dark_region(small: np.ndarray) -> np.ndarray:
    """The largest region darker than BOARD_LEVEL, with everything it encloses (the writing on it)."""
    dark = (cv2.GaussianBlur(small, (0, 0), 2) < BOARD_LEVEL).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    if count < 2:
        return np.zeros(small.shape, bool)
    region = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    _, around = cv2.connectedComponents((~region).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([around[0], around[-1], around[:, 0], around[:, -1]]))
    return ~np.isin(around, edge[edge > 0])  # what the region encloses joins it


def _paper_ink(rgb: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """Ink of dark writing on light paper (`gray`: the photo's grey levels), as `photo_ink` describes."""
    light, paper = _light_and_paper(rgb)
    absorbed = 255 - cv2.divide(gray, np.maximum(light, 1), scale=255)  # 255: absorbs all the paper's light
    absorbed = cv2.bitwise_and(absorbed, paper.astype(np.uint8) * 255)
    strongest = int(cv2.medianBlur(absorbed, 3).max())
    if strongest < MIN_INK * 255:
        return np.zeros(gray.shape, np.uint8)
    core = absorbed >= max(MIN_INK * 255, CORE * strongest)
    soft = absorbed >= max(MIN_INK * 255 / 2, EDGE * strongest)
    lines = _printed_lines(soft, absorbed, strongest)
    if lines is not None:
        core = _remove_lines(core, lines)
        soft &= ~lines | core
    core = _keep_marks(core, paper)
    reach = cv2.dilate(core.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    return cv2.bitwise_and(cv2.convertScaleAbs(absorbed, alpha=255 / strongest), (reach & soft).astype(np.uint8) * 255)


def _shrink(image: np.ndarray, side: int) -> np.ndarray:
    """Reduce by the smallest whole factor that brings the longest side to at most `side`,
    averaging blocks (OpenCV's fast path for whole factors)."""
    h, w = image.shape[:2]
    factor = -(-max(h, w) // side)
    if factor == 1:
        return image
    return cv2.resize(image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)


def _light_and_paper(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The paper's light at every pixel (uint8 grey level) and where the paper is (bool, its
    edge excluded), from a reduced copy closed with a kernel wider than any stroke."""
    h, w = rgb.shape[:2]
    small = _shrink(rgb, LIGHT_SIDE)
    side = max(3, int(max(small.shape[:2]) * LIGHT_KERNEL) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    background = cv2.blur(background, (5, 5))
    value = background.max(axis=2).astype(np.float32)
    saturation = 1.0 - background.min(axis=2) / np.maximum(value, 1.0)
    paper = (value >= PAPER_LIGHT * np.percentile(value, 95)) & (saturation < PAPER_SATURATION)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper.astype(np.uint8), connectivity=4)
    big = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= PAPER_MIN_SHARE * paper.size) + 1
    paper = labelled(labels, big, count).astype(np.uint8)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_NEAREST)
    margin = max(3, int(EDGE_MARGIN * max(h, w)) | 1)
    paper = cv2.erode(paper, cv2.getStructuringElement(cv2.MORPH_RECT, (margin, margin)),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    grey = cv2.cvtColor(background, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (w, h), interpolation=cv2.INTER_LINEAR), paper


def _printed_lines(soft: np.ndarray, absorbed: np.ndarray, strongest: int) -> np.ndarray | None:
    """A mask of the printed lines (long, straight, thinner and lighter than the writing), or None."""
    h, w = soft.shape
    short = min(h, w)
    factor = max(1, round(max(h, w) / LINE_SIDE))  # lines are looked for on a reduced copy: faster
    small = soft.astype(np.uint8) * 255
    if factor > 1:
        small = (cv2.resize(small, (w // factor, h // factor), interpolation=cv2.INTER_AREA) > 32).astype(np.uint8)
    length = LINE_LENGTH * short / factor
    found = cv2.HoughLinesP(small, 1, np.pi / 360, int(length * 0.6), minLineLength=int(length),
                            maxLineGap=max(3, int(length / 30)))
    if found is None:
        return None
    thickness = max(3, round(short * LINE_WIDTH))
    mask = np.zeros((h, w), np.uint8)
    for x1, y1, x2, y2 in found.reshape(-1, 4).astype(np.float32) * factor + factor // 2:
        width, strength = _across(soft, absorbed, (x1, y1), (x2, y2), 1.5 * thickness)
        if width < 1.5 * LINE_WIDTH * short and strength < LINE_STRENGTH * strongest:
            cv2.line(mask, (int(x1), int(y1)), (int(x2), int(y2)), 1, thickness)
    return mask.astype(bool) if mask.any() else None


def _across(soft: np.ndarray, absorbed: np.ndarray, a: tuple, b: tuple, reach: float) -> tuple[float, float]:
    """Median width (pixels) and median strength of what lies across the segment a-b, looked for
    up to `reach` pixels either side of it."""
    a, b = np.float32(a), np.float32(b)
    along = np.linspace(0.0, 1.0, max(2, int(np.hypot(*(b - a)) / 2)), dtype=np.float32)
    normal = np.float32([a[1] - b[1], b[0] - a[0]]) / max(1e-6, float(np.hypot(*(b - a))))
    offsets = np.arange(-int(reach), int(reach) + 1, dtype=np.float32)
    points = a + along[:, None, None] * (b - a) + offsets[None, :, None] * normal
    x = np.clip(np.round(points[..., 0]).astype(np.int32), 0, soft.shape[1] - 1)
    y = np.clip(np.round(points[..., 1]).astype(np.int32), 0, soft.shape[0] - 1)
    hits = soft[y, x]
    crossed = hits.any(axis=1)
    if not crossed.any():
        return 0.0, 0.0
    width = float(np.median(hits[crossed].sum(axis=1)))
    strength = float(np.median(np.where(hits, absorbed[y, x], 0.0)[crossed].max(axis=1)))
    return width, strength


def _remove_lines(core: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """The strokes without the printed lines, keeping the stretch of line a stroke crosses: where
    the stroke goes on both sides of the line, its crossing is bridged back."""
    rest = core & ~lines
    bridged = np.zeros_like(rest)
    length = 2 * max(3, round(min(core.shape) * LINE_WIDTH)) + 3
    for size in ((1, length), (length, 1)):  # across horizontal lines, then across vertical ones
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        bridged |= cv2.morphologyEx(rest.astype(np.uint8), cv2.MORPH_CLOSE, kernel) > 0
    return rest | (core & lines & bridged)


def _keep_marks(core: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The marks written on the paper: specks and marks touching the paper's edge dropped."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(core.astype(np.uint8), connectivity=8)
    if count <= 1:
        return core
    edge = cv2.dilate((~paper).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    touching = np.unique(labels[edge & core])
    areas = stats[:, cv2.CC_STAT_AREA].copy()
    areas[0] = 0
    areas[touching] = 0
    return (areas >= max(4, SPECK_SHARE * areas.max(initial=0)))[labels]
