"""Export the trained Keras model to LiteRT (`.tflite`) for serving.

    python -m model_training.export [--model saved_model/cnn.keras] [--output saved_model/cnn.tflite] [--float]

The server runs the `.tflite` file with the small LiteRT runtime instead of TensorFlow: a
fraction of the memory and start-up time. By default the weights are quantized to 8 bits
(dynamic-range quantization: a quarter of the size, three times faster, activations stay
float); `--float` keeps them float32. `tests/test_shipped_model.py` checks on all 10,000 MNIST
test images that the served export is within 0.05 points of the Keras model.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

SAVED_MODEL = Path(__file__).resolve().parent.parent / "saved_model"


def export(model_path: Path, output: Path, quantize: bool = True) -> Path:
    """Convert a Keras model file to a `.tflite` file, with 8-bit weights if `quantize`."""
    model = keras.models.load_model(model_path, compile=False)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    output.write_bytes(converter.convert())
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Export a Keras model to LiteRT for serving.")
    parser.add_argument("--model", type=Path, default=SAVED_MODEL / "cnn.keras")
    parser.add_argument("--output", type=Path, default=None, help="default: the model's path with .tflite")
    parser.add_argument("--float", dest="quantize", action="store_false", help="keep float32 weights")
    args = parser.parse_args(argv)
    output = export(args.model, args.output or args.model.with_suffix(".tflite"), args.quantize)
    print(f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
