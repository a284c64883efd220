"""Training-time augmentation: small affine changes, elastic distortion and pen width.

Everything is drawn from one NumPy generator, so an epoch's augmented images depend only on
the run's seed and the epoch number: a resumed run sees exactly what an uninterrupted one would.
Elastic distortion follows Simard, Steinkraus and Platt (2003): a random displacement field,
smoothed by a Gaussian of width `sigma`, scaled by `alpha`, applied with bilinear resampling.
"""

from __future__ import annotations

import cv2
import numpy as np

SIDE = 28


def affine(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotate up to 12 degrees, scale 0.85-1.1, shear up to 0.15, shift up to 2 pixels."""
    m = cv2.getRotationMatrix2D((SIDE / 2, SIDE / 2), rng.uniform(-12, 12), rng.uniform(0.85, 1.1))
    m[0, 1] += rng.uniform(-0.15, 0.15)
    m[:, 2] += rng.uniform(-2, 2, size=2)
    return cv2.warpAffine(image, m, (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderValue=0)


def elastic(image: np.ndarray, rng: np.random.Generator, alpha: float = 34.0, sigma: float = 4.0) -> np.ndarray:
    """Simard's elastic distortion of one uint8 image."""
    field = rng.uniform(-1, 1, size=(2, SIDE, SIDE)).astype(np.float32)
    dx = cv2.GaussianBlur(field[0], (0, 0), sigma) * alpha
    dy = cv2.GaussianBlur(field[1], (0, 0), sigma) * alpha
    grid_x, grid_y = np.meshgrid(np.arange(SIDE, dtype=np.float32), np.arange(SIDE, dtype=np.float32))
    return cv2.remap(image, grid_x + dx, grid_y + dy, cv2.INTER_LINEAR, borderValue=0)


def pen(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thin or thicken the strokes a little (2x2 erosion or dilation), or leave them."""
    choice = rng.random()
    kernel = np.ones((2, 2), np.uint8)
    if choice < 0.15:
        return cv2.erode(image, kernel)
    if choice < 0.35:
        return cv2.dilate(image, kernel)
    return image


def augment_batch(images: np.ndarray, rng: np.random.Generator, elastic_share: float = 0.5) -> np.ndarray:
    """A new uint8 array: every image moved a little, half of them elastically distorted."""
    out = np.empty_like(images)
    for i, image in enumerate(images):
        image = affine(image, rng)
        if rng.random() < elastic_share:
            image = elastic(image, rng, alpha=rng.uniform(20, 36))
        out[i] = pen(image, rng)
    return out
