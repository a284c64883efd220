"""From a decoded image to an ink map: uint8 (h, w), 0 where there is no ink, 255 full ink.

Reads the three ways a canvas comes (transparent background, white background with dark ink,
dark background with light ink) and any bit depth or palette. A photo of paper, told from a
canvas by its background (a canvas's is flat, a photo's never is), goes to `recognition.photo`.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from recognition.errors import EmptyDrawingError
from recognition.photo import photo_ink

PHOTO_MIN_SIDE = 100  # smaller images are never photos
FLAT_TOLERANCE = 2  # grey levels: a canvas's background is this close to its border's median ...
FLAT_BORDER = 0.9  # ... along at least this share of its border ...
FLAT_SHARE = 0.5  # ... and, with the pen's own flat colour, over at least this share of the image
PEN_CONTRAST = 64  # a canvas's pen differs from its background by at least this many grey levels


def ink_map(image: Image.Image) -> np.ndarray:
    """Grey level and alpha of a decoded image -> uint8 ink strength (0 none, 255 full)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode != "F" and values.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(values * (255.0 / top) + 0.5, 0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = np.asarray(image if image.mode == "RGBA" else image.convert("RGBA"))
        alpha = cv2.extractChannel(rgba, 3)
        if alpha.size and np.median(_border(alpha)) < 128:
            return alpha  # transparent canvas: whatever was painted is ink, whatever its colour
        gray = cv2.cvtColor(rgba, cv2.COLOR_RGBA2GRAY)
        if alpha.min(initial=255) < 255:  # partly transparent pixels over white
            gray = (gray.astype(np.uint16) * alpha + 255 * (255 - alpha.astype(np.uint16))) // 255
            gray = gray.astype(np.uint8)
    else:
        gray = np.asarray(image.convert("L"))
    if gray.size == 0:
        raise EmptyDrawingError("the image is empty")
    background = int(np.median(_border(gray)))
    if is_photo(gray, background):
        return photo_ink(np.asarray(image if image.mode == "RGB" else image.convert("RGB")))
    if background >= 128:
        return cv2.subtract(np.full_like(gray, background), gray)  # dark ink on a light background
    return cv2.subtract(gray, np.full_like(gray, background))  # light ink on a dark background


def is_photo(gray: np.ndarray, background: int) -> bool:
    """Whether a uint8 grey image is a photo rather than a canvas export: large, and not flat (a photo's
    paper has noise, texture and uneven light; a canvas is its flat background and its flat pen)."""
    if min(gray.shape) < PHOTO_MIN_SIDE:
        return False
    step = max(1, int(np.sqrt(gray.size / 250_000)))  # a sample of at most about 250,000 pixels is enough
    counts = _histogram(gray[::step, ::step])
    levels = [background]
    far = counts.copy()
    far[max(0, background - PEN_CONTRAST):background + PEN_CONTRAST + 1] = 0
    if far.any():
        levels.append(int(np.argmax(far)))  # the pen's colour: a thick pen may even reach the border
    border = _histogram(_border(gray))
    if sum(_near(border, level) for level in levels) < FLAT_BORDER * border.sum():
        return True
    return sum(_near(counts, level) for level in levels) < FLAT_SHARE * counts.sum()


def _histogram(gray: np.ndarray) -> np.ndarray:
    """How many pixels of a uint8 image have each of the 256 grey levels (OpenCV's, far quicker than NumPy's)."""
    return cv2.calcHist([np.ascontiguousarray(gray)], [0], None, [256], [0, 256]).ravel().astype(np.int64)


def _near(counts: np.ndarray, level: int) -> int:
    """How many pixels of a grey-level histogram lie within FLAT_TOLERANCE of `level`."""
    return int(counts[max(0, level - FLAT_TOLERANCE):level + FLAT_TOLERANCE + 1].sum())


def _border(image: np.ndarray) -> np.ndarray:
    """The outermost rows and columns of an image: where a drawing's background is."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
