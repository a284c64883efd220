"""Turn any drawing or image into the 28x28 input the model was trained on."""

from __future__ import annotations

import numpy as np

SIZE = 28


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 MNIST-style images, (28, 28) or (n, 28, 28), to float32 (n, 28, 28, 1) in [0, 1].

    Training, evaluation and serving all call this, so the model always sees one scaling.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    return (images.astype(np.float32) / 255.0)[..., None]
