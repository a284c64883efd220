"""From a decoded image to an ink map: uint8 (h, w), 0 where there is no ink, 255 full ink.

Reads the three ways a canvas comes (transparent background, white background with dark ink,
dark background with light ink) and any bit depth or palette.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from recognition.errors import EmptyDrawingError


def ink_map(image: Image.Image) -> np.ndarray:
    """Grey level and alpha of a decoded image -> uint8 ink strength (0 none, 255 full)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode != "F" and values.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(values * (255.0 / top) + 0.5, 0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = np.asarray(image if image.mode == "RGBA" else image.convert("RGBA"))
        alpha = rgba[..., 3]
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
    if background >= 128:
        return cv2.subtract(np.full_like(gray, background), gray)  # dark ink on a light background
    return cv2.subtract(gray, np.full_like(gray, background))  # light ink on a dark background


def _border(image: np.ndarray) -> np.ndarray:
    """The outermost rows and columns of an image: where a drawing's background is."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
