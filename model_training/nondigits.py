"""Drawings that are not digits, for the model's "not a digit" class.

Letters and symbols rendered from fonts that ship with matplotlib (DejaVu, STIX, Computer
Modern) and OpenCV (the Hershey stroke fonts, two of them handwriting-like scripts), scribbles,
shapes, crossed-out digits and two digits drawn over each other. Characters a person could
take for a digit (O, I, l, S, Z, b, g, q, ...) and shapes that are digits (a plain circle is a
0, an upright line a 1) are left out. Each generator returns a uint8 ink map (0 = no ink) of
any size; the caller sends it through the serving recipe.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model_training.styles import draw

LETTERS = "ACEFHKMNRWXYacefhkmnrtuvwx"
SYMBOLS = "#%&+=*@$<>~^"
CHARACTERS = LETTERS + SYMBOLS

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSerif.ttf",
              "DejaVuSerif-Italic.ttf", "DejaVuSansMono.ttf", "STIXGeneral.ttf", "STIXGeneralItalic.ttf",
              "STIXGeneralBol.ttf", "cmr10.ttf", "cmti10.ttf", "cmss10.ttf")
HERSHEY = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
           cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
SIDE = 128


@lru_cache(maxsize=None)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


def _tilt(ink: np.ndarray, rng: np.random.Generator, degrees: float = 15.0) -> np.ndarray:
    """A small random rotation and shear, as a hand gives."""
    h, w = ink.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-degrees, degrees), 1.0)
    m[0, 1] += rng.uniform(-0.25, 0.25)
    return cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


def glyph(rng: np.random.Generator, characters: str = CHARACTERS) -> np.ndarray:
    """One letter or symbol from a TrueType font or a Hershey stroke font."""
    char = characters[rng.integers(len(characters))]
    if rng.random() < 0.5:
        image = Image.new("L", (SIDE * 2, SIDE * 2), 0)
        font = _font(FONT_FILES[rng.integers(len(FONT_FILES))], int(rng.integers(70, 110)))
        ImageDraw.Draw(image).text((SIDE // 2, SIDE // 3), char, fill=255, font=font)
        ink = np.asarray(image)
    else:
        ink = np.zeros((SIDE * 2, SIDE * 2), np.uint8)
        face = int(HERSHEY[rng.integers(len(HERSHEY))]) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
        cv2.putText(ink, char, (SIDE // 2, SIDE + SIDE // 3), face, rng.uniform(2.5, 4.0), 255,
                    int(rng.integers(3, 14)), cv2.LINE_AA)
    return _tilt(ink, rng)


def _smooth_path(points: np.ndarray, samples: int = 80) -> np.ndarray:
    """A smooth curve through control points (Catmull-Rom), as a hand moves."""
    p = np.concatenate([points[:1], points, points[-1:]])
    out = []
    for i in range(1, len(p) - 2):
        t = np.linspace(0, 1, max(2, samples // (len(p) - 3)))[:, None]
        a, b, c, d = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t ** 2 + (3 * b - a - 3 * c + d) * t ** 3))
    return np.concatenate(out)


def scribble(rng: np.random.Generator) -> np.ndarray:
    """A random tangle of smooth strokes."""
    ink = np.zeros((SIDE, SIDE), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        points = rng.uniform(15, SIDE - 15, size=(int(rng.integers(6, 14)), 2))
        ink = draw(ink, _smooth_path(points), rng.uniform(3, 10))
    return ink


def _polygon(n: int, rng: np.random.Generator, star: bool = False) -> np.ndarray:
    angles = np.linspace(0, 2 * np.pi, n * (2 if star else 1), endpoint=False) + rng.uniform(0, np.pi)
    radius = np.where(np.arange(len(angles)) % 2 == 1, 0.45, 1.0) if star else np.ones(len(angles))
    pts = np.stack([np.cos(angles), np.sin(angles)], 1) * radius[:, None] * rng.uniform(0.8, 1.2, (len(angles), 1))
    return np.concatenate([pts, pts[:1]]) * 45 + SIDE / 2


def shape(rng: np.random.Generator) -> np.ndarray:
    """A drawn shape that is no digit: polygon, star, heart, spiral, arrow, check mark, wave, zigzag."""
    kind = rng.integers(8)
    c = SIDE / 2
    if kind == 0:
        paths = [_polygon(int(rng.integers(3, 7)), rng)]
    elif kind == 1:
        paths = [_polygon(int(rng.integers(5, 7)), rng, star=True)]
    elif kind == 2:
        t = np.linspace(0, 2 * np.pi, 60)
        heart = np.stack([16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))], 1)
        paths = [heart * 2.6 + c]
    elif kind == 3:
        t = np.linspace(0, rng.uniform(4, 7) * np.pi, 120)
        paths = [np.stack([np.cos(t), np.sin(t)], 1) * (t[:, None] / t[-1] * 50) + c]
    elif kind == 4:
        tip = np.array([c + 45, c])
        paths = [np.array([[c - 45, c], tip]), np.array([tip + (-22, -20), tip, tip + (-22, 20)])]
    elif kind == 5:
        paths = [np.array([[c - 40, c], [c - 12, c + 35], [c + 45, c - 45]])]
    elif kind == 6:
        x = np.linspace(c - 50, c + 50, 80)
        paths = [np.stack([x, c + 20 * np.sin((x - c) / rng.uniform(6, 12))], 1)]
    else:
        x = np.linspace(c - 50, c + 50, int(rng.integers(4, 8)))
        paths = [np.stack([x, c + np.where(np.arange(len(x)) % 2, -30, 30)], 1)]
    ink = np.zeros((SIDE, SIDE), np.uint8)
    width = rng.uniform(3, 10)
    for path in paths:
        ink = draw(ink, path + rng.normal(0, 1.5, path.shape), width)
    return _tilt(ink, rng, 30)


def crossed_out(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit struck through: a dense zigzag or a big X over it."""
    big = cv2.resize(digit, (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)
    width = rng.uniform(5, 10)
    if rng.random() < 0.5:
        return draw(draw(big, [(15, 15), (SIDE - 15, SIDE - 15)], width), [(SIDE - 15, 15), (15, SIDE - 15)], width)
    n = int(rng.integers(4, 8))
    ys = np.linspace(20, SIDE - 20, n) + rng.normal(0, 4, n)
    xs = np.where(np.arange(n) % 2, SIDE - 18, 18) + rng.normal(0, 5, n)
    return draw(big, np.stack([xs, ys], 1), width)


def two_digits(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two different MNIST digits drawn over each other, the second shifted by a third or so."""
    canvas = np.zeros((56, 56), np.uint8)
    canvas[14:42, 14:42] = a
    dx, dy = rng.uniform(5, 10) * rng.choice([-1, 1]), rng.uniform(-6, 6)
    m = np.float32([[1, 0, 14 + dx], [0, 1, 14 + dy]])
    return np.maximum(canvas, cv2.warpAffine(b, m, (56, 56), borderValue=0))


def non_digit(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> tuple[str, np.ndarray]:
    """One non-digit of a random kind, `x`/`y` supplying the MNIST digits some kinds build on."""
    kind = rng.choice(["glyph", "scribble", "shape", "crossed_out", "two_digits"], p=[0.5, 0.12, 0.16, 0.1, 0.12])
    if kind == "glyph":
        return kind, glyph(rng)
    if kind == "scribble":
        return kind, scribble(rng)
    if kind == "shape":
        return kind, shape(rng)
    if kind == "crossed_out":
        return kind, crossed_out(x[rng.integers(len(x))], rng)
    # No 1s: a 1 over a 0 is a slashed zero, a 1 beside a digit only a stroke more.
    pool = np.flatnonzero(y != 1)
    i = rng.choice(pool)
    j = rng.choice(pool[y[pool] != y[i]])
    return kind, two_digits(x[i], x[j], rng)
