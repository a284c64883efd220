"""A drawing style the shipped model never trained on, to measure learning from corrections.

Outlined ("bubble") digits: the outline of a thick digit drawn with a thin pen, the way people
doodle numbers on posters. A person reads them at once; the shipped model, trained on solid
strokes, mostly answers 0, 8 or "not a digit". They are made like the families of `styles.py`,
from MNIST digits at four times MNIST's resolution, but they are not one of them, so no model of
the project has seen them.

    python -m model_training.unseen_style --count 300 --output build/corrections.npz

writes such digits, made from MNIST training digits (never the validation split), in the layout
`flask corrections export` writes: what a few hundred people correcting the model would send.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from model_training.data import load_mnist, split
from model_training.styles import draw, pen_width, upscale
from model_training.synth import served

NAME = "outlined"


def outlined(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The outline of the digit thickened by a random pen, drawn with a thin pen (working resolution)."""
    big = upscale(digit)
    radius = int(rng.integers(4, 9))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    fat = cv2.dilate((big > 127).astype(np.uint8), kernel)
    contours, _ = cv2.findContours(fat, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    out = np.zeros_like(big)
    pen = pen_width(big) * rng.uniform(0.5, 0.8)
    for contour in contours:
        points = contour[:, 0, :].astype(np.float64)
        out = draw(out, np.vstack([points, points[:1]]), pen)
    return out


def make(x: np.ndarray, y: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` outlined digits (uint8 28x28, as served) and their labels, from the digits (x, y)."""
    rng = np.random.default_rng(seed)
    images: list[np.ndarray] = []
    labels: list[int] = []
    while len(images) < count:
        i = int(rng.integers(len(x)))
        image = served(outlined(x[i], rng))
        if image is not None:
            images.append(image)
            labels.append(int(y[i]))
    return np.stack(images), np.array(labels, np.uint8)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write outlined digits as a corrections export.")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--split-seed", type=int, default=42, help="the validation split training used")
    args = parser.parse_args(argv)
    (x_train, y_train), _ = load_mnist()
    (x_fit, y_fit), _ = split(x_train, y_train, 0.1, args.split_seed)
    images, labels = make(x_fit, y_fit, args.count, args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, x_train=images, y_train=labels, x_not_a_digit=np.zeros((0, 28, 28), np.uint8))
    print(f"wrote {args.output}: {len(images)} {NAME} digits with their labels")


if __name__ == "__main__":
    main()
