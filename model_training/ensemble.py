"""Combine trained CNNs into one model that averages their probabilities.

    python -m model_training.ensemble build/a/cnn.keras build/b/cnn.keras --output saved_model/cnn.keras

Networks trained with different seeds make different mistakes; the average of their
probabilities is right more often than either. The result is one Keras model (each member a
nested model named `member<i>`), so export, calibration and serving treat it like any other.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from model_training.models import INPUT_SHAPE  # noqa: E402


def build(paths: list[Path]) -> keras.Model:
    """One model whose output is the mean of the members' softmax outputs."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    outputs = []
    for i, path in enumerate(paths):
        member = keras.models.load_model(path, compile=False)
        member.name = f"member{i}"
        outputs.append(member(inputs))
    averaged = keras.layers.Average(name="probabilities")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(inputs, averaged, name="cnn_ensemble")


def members(model: keras.Model) -> list[keras.Model]:
    """The member networks of an ensemble, or the model itself when it is a single network."""
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return nested or [model]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Average trained CNNs into one model.")
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    model = build(args.models)
    model.save(args.output)
    print(f"wrote {args.output}: the mean of {len(args.models)} networks")


if __name__ == "__main__":
    main()
