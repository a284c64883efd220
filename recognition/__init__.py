"""Recognising handwritten digits and numbers, free of any web framework.

The server, the command line, training and evaluation all import this package. Data flows one
way, one module per step:

    bytes -> decode (checked image) -> ink (ink map) -> marks -> segment (digits of a number)
          -> mnist_recipe (28x28) -> classifier (answer) -> number (the whole number)

A number is first read whole by the sequence model (line_recipe -> sequence), cut where it
places the digits (guided, on the same marks), and each part answered by the digit model as above.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recognition.decode import FULL_SIZE, open_image
from recognition.ink import ink_map
from recognition.mnist_recipe import to_mnist

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = PROJECT_ROOT / "saved_model" / "cnn.tflite"
DEFAULT_SEQUENCE_MODEL = PROJECT_ROOT / "saved_model" / "sequence.tflite"  # reads whole numbers


def read_ink(data: bytes) -> np.ndarray:
    """Image file bytes -> ink map (uint8, 0 = no ink)."""
    return read_drawing(data)[0]


def read_drawing(data: bytes) -> tuple[np.ndarray, tuple[int, int]]:
    """Image file bytes -> the ink map and the (width, height) the image is shown at: a large JPEG
    photo is read reduced, and what is reported about it (boxes) is scaled back to this size."""
    image = open_image(data)
    return ink_map(image), image.info[FULL_SIZE]


def preprocess(data: bytes) -> np.ndarray:
    """Image file bytes -> uint8 28x28 MNIST-style digit."""
    return to_mnist(read_ink(data))
