"""Export what `/api/explain` needs to LiteRT, from the shipped weights.

    python -m model_training.export_explain [--member member0]

- `saved_model/cnn_features.tflite`: one member CNN of the shipped ensemble (`cnn.keras`) cut
  after each convolution block's last ReLU, outputs named `block1`, `block2`, ... (read them
  through the signature runner, which keys outputs by name), float32 so the maps are exact.
- `saved_model/mlp.tflite`: the MLP baseline (`mlp.keras`), 8-bit weights like `cnn.tflite`.

Serving then needs no TensorFlow. The default member is the network trained on the styles and
the non-digits, the first of the ensemble.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from model_training import ensemble  # noqa: E402
from model_training.export import SAVED_MODEL, export  # noqa: E402

FEATURES = SAVED_MODEL / "cnn_features.tflite"
MLP = SAVED_MODEL / "mlp.tflite"


def block_outputs(network: keras.Model) -> dict[str, keras.KerasTensor]:
    """Each convolution block's last ReLU output, keyed by block name (`block1_relu2` -> `block1`)."""
    relus = [layer for layer in network.layers if layer.name.startswith("block") and "_relu" in layer.name]
    last: dict[str, keras.layers.Layer] = {}
    for layer in relus:
        last[layer.name.split("_")[0]] = layer
    return {name: layer.output for name, layer in last.items()}


def export_features(model_path: Path, member: str, output: Path) -> Path:
    """Write a float LiteRT model whose signature outputs are the named block activations."""
    model = keras.models.load_model(model_path, compile=False)
    networks = {network.name: network for network in ensemble.members(model)}
    if member not in networks:
        raise SystemExit(f"{model_path} has no member {member!r}: {sorted(networks)}")
    probe = keras.Model(networks[member].input, block_outputs(networks[member]), name="cnn_features")

    converted = tf.lite.TFLiteConverter.from_keras_model(probe).convert()
    output.write_bytes(converted)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Export the feature-map model and the MLP baseline to LiteRT.")
    parser.add_argument("--model", type=Path, default=SAVED_MODEL / "cnn.keras")
    parser.add_argument("--member", default="member0", help="which network of the ensemble to open up")
    parser.add_argument("--mlp", type=Path, default=SAVED_MODEL / "mlp.keras")
    args = parser.parse_args(argv)
    for path in (export_features(args.model, args.member, FEATURES), export(args.mlp, MLP)):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
