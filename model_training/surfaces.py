"""What the synthetic photos' writing lies on, and the light on it: paper (plain, ruled, squared),
a table, a sheet moved to show the table, a shadow, a board, the wall around a board."""

from __future__ import annotations

import cv2
import numpy as np


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth random field in about [-1, 1]: `cells` random values a side, upsampled."""
    small = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    return cv2.resize(small, shape[::-1], interpolation=cv2.INTER_CUBIC)


def paper(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Off-white paper, RGB float32 in [0, 1], with a faint uneven texture."""
    tint = rng.uniform(0.86, 0.97) + np.array([0.01, 0.0, -0.02], np.float32) + rng.uniform(-0.015, 0.015, 3).astype(np.float32)
    texture = 1 + 0.015 * smooth_noise(rng, shape, 12)[..., None]
    return np.clip(tint * texture, 0, 1)


def rule(sheet: np.ndarray, rng: np.random.Generator, spacing: float, vertical: bool, colour,
         start: float | None = None) -> None:
    """Print straight lines `spacing` pixels apart across the sheet (the first at `start`), in place."""
    h, w = sheet.shape[:2]
    layer = np.zeros((h, w), np.uint8)
    thickness = max(1, int(round(min(h, w) * rng.uniform(0.0015, 0.003))))
    start = rng.uniform(0, spacing) if start is None else start
    for pos in np.arange(start, w if vertical else h, spacing):
        a, b = ((pos, 0), (pos, h)) if vertical else ((0, pos), (w, pos))
        cv2.line(layer, (int(a[0] * 16), int(a[1] * 16)), (int(b[0] * 16), int(b[1] * 16)), 255, thickness, cv2.LINE_AA, 4)
    alpha = layer.astype(np.float32)[..., None] / 255
    sheet *= 1 - alpha * (1 - np.asarray(colour, np.float32))


def table(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A wooden or grey table top, RGB float32."""
    h, w = shape
    base = np.array(rng.choice([(0.45, 0.30, 0.18), (0.60, 0.45, 0.30), (0.35, 0.35, 0.37)]), np.float32)
    grain = cv2.resize(rng.uniform(-1, 1, (h // 40 + 2, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(base * (1 + 0.08 * grain[..., None]), 0, 1)


def table_edge(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sheet moved so the table shows along one or two edges, with the sheet's soft shadow."""
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.float32)
    left, top = int(w * rng.uniform(0.05, 0.2)), int(h * rng.uniform(0.05, 0.2))
    box = np.float32([[left, top], [w + 10, top], [w + 10, h + 10], [left, h + 10]])
    if rng.random() < 0.5:  # one edge only
        box[:2, 1] = -10
    slant = rng.uniform(-0.03, 0.03) * h
    box[0, 0] += slant
    box[3, 0] -= slant
    cv2.fillPoly(mask, [np.round(box * 16).astype(np.int32)], 1.0, cv2.LINE_AA, 4)
    cast = cv2.GaussianBlur(mask, (0, 0), min(h, w) * 0.01)
    top_of_table = table(rng, (h, w)) * (1 - 0.35 * cast[..., None])
    return image * mask[..., None] + top_of_table * (1 - mask[..., None])


def shadow(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A soft-edged shadow (a hand or a phone) over part of the sheet, as a light factor."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    distance = (np.cos(angle) * (xx - w / 2) + np.sin(angle) * (yy - h / 2)) / min(h, w) - rng.uniform(-0.15, 0.15)
    softness = rng.uniform(0.03, 0.1)
    inside = 1 / (1 + np.exp(-distance / softness * 4))
    return 1 - rng.uniform(0.3, 0.5) * inside


def board(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A blackboard or a green chalkboard, RGB float32, with the haze of wiped-off chalk."""
    base = np.array(rng.choice([(0.10, 0.11, 0.11), (0.13, 0.24, 0.19), (0.19, 0.19, 0.20)]), np.float32)
    haze = rng.uniform(0.02, 0.08) * (smooth_noise(rng, shape, 6) + 1) / 2
    return np.clip(base + haze[..., None], 0, 1)


def wall_around(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The board seen from further back: a centred part of it in an aluminium frame, a light wall
    around, RGB float32."""
    h, w = image.shape[:2]
    share = rng.uniform(0.62, 0.85, 2)
    top, left = (int(h * (1 - share[0]) / 2), int(w * (1 - share[1]) / 2))
    bottom, right = h - top, w - left
    wall = np.array(rng.choice([(0.86, 0.85, 0.80), (0.78, 0.80, 0.82), (0.92, 0.90, 0.86)]), np.float32)
    out = np.clip(wall * (1 + 0.03 * smooth_noise(rng, (h, w), 4)[..., None]), 0, 1)
    frame = max(2, int(min(h, w) * rng.uniform(0.008, 0.015)))
    out[top - frame:bottom + frame, left - frame:right + frame] = (0.62, 0.63, 0.65)
    out[top:bottom, left:right] = image[top:bottom, left:right]
    return out
