"""Combine trained CNNs into one model that averages their probabilities.

    python -m model_training.ensemble build/a/cnn.keras build/b/cnn.keras --weights 0.5 0.5 \
        --output saved_model/cnn.keras

Networks trained differently make different mistakes; a weighted mean of their probabilities
is right more often than either. A member may answer only the ten digits (a network trained on
MNIST alone): its digit probabilities then share the room the "not a digit" members leave. The
result is one Keras model (each member a nested model named `member<i>`), so export,
calibration and serving treat it like any other. Choose the weights on validation data.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import ops  # noqa: E402

from model_training.models import INPUT_SHAPE  # noqa: E402


def build(paths: list[Path], weights: list[float] | None = None) -> keras.Model:
    """One model whose output is the weighted mean of the members' probabilities (11 classes)."""
    weights = [w / sum(weights) for w in weights] if weights else [1 / len(paths)] * len(paths)
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    outputs = []
    for i, path in enumerate(paths):
        member = keras.models.load_model(path, compile=False)
        member.name = f"member{i}"
        outputs.append(member(inputs))
    rejecting = [(w, out) for w, out in zip(weights, outputs) if out.shape[-1] == 11]
    if not rejecting:
        raise ValueError("at least one member must answer 'not a digit' (11 classes)")
    reject = sum(w * out[:, 10:] for w, out in rejecting) / sum(w for w, _ in rejecting)
    digits = sum(w * (out[:, :10] if out.shape[-1] == 11 else out * (1 - reject)) for w, out in zip(weights, outputs))
    return keras.Model(inputs, ops.concatenate([digits, reject], axis=-1), name="cnn_ensemble")


def members(model: keras.Model) -> list[keras.Model]:
    """The member networks of an ensemble, or the model itself when it is a single network."""
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return nested or [model]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Average trained CNNs into one model.")
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--weights", nargs="+", type=float, default=None, help="one per model (default: equal)")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.weights and len(args.weights) != len(args.models):
        parser.error("give one weight per model")
    model = build(args.models, args.weights)
    model.save(args.output)
    print(f"wrote {args.output}: the weighted mean of {len(args.models)} networks")


if __name__ == "__main__":
    main()
