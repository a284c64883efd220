"""Run the digit model: a LiteRT `.tflite` file for serving, or a Keras file for comparison."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webapp.preprocessing import to_model_input


@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float


class Classifier:
    """Loads a model file once and maps a 28x28 digit to class probabilities.

    `.tflite` runs on LiteRT (fast, small; one interpreter per process, guarded by a lock since
    an interpreter is not thread-safe). `.keras` runs Keras's `model.predict`, the way most
    demos serve, kept as the benchmark's baseline; it needs TensorFlow installed.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"model file not found: {self.path}")
        self.name = self.path.name
        self._lock = threading.Lock()
        if self.path.suffix == ".tflite":
            from ai_edge_litert.interpreter import Interpreter

            self._interpreter = Interpreter(model_path=str(self.path), num_threads=1)
            inp = self._interpreter.get_input_details()[0]
            self._interpreter.resize_tensor_input(inp["index"], [1, 28, 28, 1])
            self._interpreter.allocate_tensors()
            self._input = inp["index"]
            self._output = self._interpreter.get_output_details()[0]["index"]
            self._run = self._run_litert
        elif self.path.suffix == ".keras":
            import keras

            self._keras = keras.models.load_model(self.path, compile=False)
            self._run = lambda x: self._keras.predict(x, verbose=0)[0]
        else:
            raise ValueError(f"unsupported model file {self.path.name}: expected .tflite or .keras")
        self.probabilities(np.zeros((28, 28), np.uint8))  # warm up: the first call is slow

    def _run_litert(self, x: np.ndarray) -> np.ndarray:
        self._interpreter.set_tensor(self._input, x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0].copy()

    def probabilities(self, digit: np.ndarray) -> np.ndarray:
        """uint8 28x28 MNIST-style digit -> 10 class probabilities (float32, sum 1)."""
        x = to_model_input(digit)
        with self._lock:
            return self._run(x)

    def predict(self, digit: np.ndarray, top_k: int = 3) -> list[Prediction]:
        """The `top_k` most likely digits, best first."""
        probs = self.probabilities(digit)
        order = np.argsort(probs)[::-1][:top_k]
        return [Prediction(int(i), float(probs[i])) for i in order]
