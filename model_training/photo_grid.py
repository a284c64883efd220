"""A picture of the synthetic photo conditions: one photo each, above what the serving path made of it
and the digit it read.

    python -m model_training.photo_grid [saved_model/report/photos.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from model_training.calibrate import validation_digits
from model_training.canvas import pen_paths
from model_training.photos import CONDITIONS, photo
from recognition import DEFAULT_MODEL, preprocess
from recognition.classifier import Classifier
from recognition.decode import open_image

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "saved_model" / "report" / "photos.png"
PER_ROW = 6


def sample_grid(path: Path, seed: int = 1) -> None:
    """One photo per condition (reduced) above what the serving path made of it and the digit read."""
    classifier = Classifier(DEFAULT_MODEL)
    _, x_val, _ = validation_digits()
    rng = np.random.default_rng(seed)
    tiles = []
    for i, condition in enumerate(CONDITIONS):
        data = photo(pen_paths(x_val[i]), condition, rng, (800, 600))
        top = np.asarray(open_image(data).convert("RGB").resize((200, 150)))
        digit = preprocess(data)
        read = classifier.answer(digit, 1).predictions[0].digit
        seen = cv2.resize(digit, (150, 150), interpolation=cv2.INTER_NEAREST)
        bottom = np.full((150, 200, 3), 255, np.uint8)
        bottom[:, 25:175] = seen[..., None]
        tile = np.concatenate([top, bottom])
        cv2.putText(tile, f"{condition}: {read}", (4, 290), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 0, 0), 1, cv2.LINE_AA)
        tiles.append(np.pad(tile, ((4, 4), (4, 4), (0, 0)), constant_values=255))
    tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % PER_ROW)
    rows = [np.concatenate(tiles[i:i + PER_ROW], axis=1) for i in range(0, len(tiles), PER_ROW)]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows)).save(path, optimize=True)


if __name__ == "__main__":
    sample_grid(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH)
