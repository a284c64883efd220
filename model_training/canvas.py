"""MNIST digits redrawn the way people draw them in the app: pen strokes on a canvas.

A digit is thinned to its centre line (Lee's skeleton, which keeps a thick digit's short arms)
and traced into pen paths; the paths are drawn with a round pen of any width, at any size and
place, on a canvas of any size, in each of the three looks a browser exports (transparent, white,
dark), and encoded as PNG. The tests, the browser tests and the benchmark use these drawings to
exercise the whole serving path on real shapes; training uses them for the canvas families.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from skimage.morphology import skeletonize

LOOKS = ("transparent", "white", "dark")
UPSCALE = 2  # paths are traced on the digit at twice MNIST's resolution
TRACER_VERSION = 3  # bump when `pen_paths` changes, so cached tracings are rebuilt

Path = np.ndarray  # (n, 2) float x, y in MNIST's 28x28 coordinates


def trace(skeleton: np.ndarray) -> list[np.ndarray]:
    """Walk a one-pixel-wide skeleton into polylines of (row, col) points, starting at line ends.

    A polyline that starts or stops next to one already walked (a closed loop, a branch leaving
    a junction) is joined to it, so the pen draws no gap there.
    """
    points = {tuple(p) for p in np.argwhere(skeleton)}
    offsets = [(-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1)]

    def neighbours(p):
        return [(p[0] + dy, p[1] + dx) for dy, dx in offsets if (p[0] + dy, p[1] + dx) in points]

    visited: set = set()
    paths = []
    while len(visited) < len(points):
        remaining = [p for p in points if p not in visited]
        ends = [p for p in remaining if len([q for q in neighbours(p) if q not in visited]) <= 1]
        current = min(ends or remaining)
        path = [q for q in neighbours(current) if q in visited][:1] + [current]
        visited.add(current)
        while True:
            options = [q for q in neighbours(current) if q not in visited]
            if not options:
                break
            current = options[0]  # 4-neighbours first: the smoothest continuation
            visited.add(current)
            path.append(current)
        path += [q for q in neighbours(current) if q in visited and q not in path[-3:]][:1]
        paths.append(np.array(path, dtype=np.float32))
    return paths


def enclosed(mask: np.ndarray) -> np.ndarray:
    """The background a shape encloses: 4-connected background regions that miss the border."""
    _, labels = cv2.connectedComponents((~mask).astype(np.uint8), connectivity=4)  # the shape itself is label 0
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return (labels > 0) & ~np.isin(labels, border)


def pen_paths(digit: np.ndarray, min_points: int = 3) -> list[Path]:
    """An MNIST uint8 28x28 digit -> its pen strokes as (x, y) polylines in 28x28 coordinates.

    A loop the scanned pen filled (a heavy 8 or 0) still shows as paler ink inside; that pale
    core is kept open, so thinning draws the loop rather than one stroke through its middle.
    """
    big = cv2.resize(digit, (28 * UPSCALE, 28 * UPSCALE), interpolation=cv2.INTER_LINEAR)
    skeleton = skeletonize((big > 100) & ~enclosed(big > 200), method="lee")
    paths = [p[:, ::-1] / UPSCALE for p in trace(skeleton) if len(p) >= min_points]
    return paths or [p[:, ::-1] / UPSCALE for p in trace(skeleton)]


@dataclass(frozen=True)
class Style:
    """How one drawing is made: canvas side, digit size and centre (fractions), pen, look."""

    canvas: int = 400
    size: float = 0.6  # the digit's longest side as a fraction of the canvas side
    center: tuple[float, float] = (0.5, 0.5)  # where the digit's middle lands, fractions of the side
    pen: float = 0.055  # pen width as a fraction of the canvas side
    look: str = "white"


def random_style(rng: np.random.Generator, canvas: int | None = None) -> Style:
    """A random drawing style: phone or desktop canvas, small to large digit, thin to thick pen."""
    canvas = canvas or int(rng.choice([280, 400, 560, 840, 1170]))
    size = float(rng.uniform(0.2, 0.85))
    low, high = size / 2 + 0.03, 1 - size / 2 - 0.03
    center = (float(rng.uniform(low, high)), float(rng.uniform(low, high)))
    pen = float(rng.uniform(0.015, 0.09)) * max(size / 0.6, 0.5)
    return Style(canvas=canvas, size=size, center=center, pen=pen, look=str(rng.choice(LOOKS)))


def layout(paths: list[Path], style: Style) -> list[np.ndarray]:
    """Scale and move 28x28-space paths to canvas pixel coordinates for `style`."""
    allpts = np.concatenate(paths)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    scale = style.size * style.canvas / max(float((hi - lo).max()), 1.0)
    middle = (lo + hi) / 2
    target = np.array(style.center) * style.canvas
    return [(p - middle) * scale + target for p in paths]


def render(paths: list[Path], style: Style) -> np.ndarray:
    """Draw paths with a round pen; returns the canvas as RGBA uint8 in the style's look."""
    side = style.canvas
    ink = np.zeros((side, side), np.uint8)
    width = max(1, int(round(style.pen * side)))
    shift = 4  # sub-pixel precision for the line rasteriser
    for p in layout(paths, style):
        pts = np.round(p * (1 << shift)).astype(np.int32).reshape(-1, 1, 2)
        if len(pts) == 1:
            pts = np.concatenate([pts, pts])
        cv2.polylines(ink, [pts], False, 255, thickness=width, lineType=cv2.LINE_AA, shift=shift)
    rgba = np.zeros((side, side, 4), np.uint8)
    if style.look == "transparent":
        rgba[..., 3] = ink  # black ink, alpha is the stroke: what a cleared canvas exports
    elif style.look == "white":
        rgba[..., :3] = (255 - ink)[..., None]
        rgba[..., 3] = 255
    elif style.look == "dark":
        background = 24
        rgba[..., :3] = (background + ink.astype(np.float32) * (255 - background) / 255).astype(np.uint8)[..., None]
        rgba[..., 3] = 255
    else:
        raise ValueError(f"unknown look {style.look!r}; expected one of {LOOKS}")
    return rgba


def to_png(rgba: np.ndarray) -> bytes:
    """Encode an RGBA canvas as PNG bytes, as `canvas.toDataURL('image/png')` would."""
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buffer.tobytes()


def draw_digit(digit: np.ndarray, style: Style) -> bytes:
    """An MNIST digit redrawn with a pen on a canvas in `style`, as PNG bytes."""
    return to_png(render(pen_paths(digit), style))
