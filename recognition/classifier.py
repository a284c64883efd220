"""Run the digit model: a LiteRT `.tflite` file for serving, or a Keras file for comparison.

The model answers eleven classes, the ten digits and "not a digit" (a ten-class model works
too, without rejection). Its probabilities are calibrated by temperature scaling, and the "not
sure" and "not a digit" thresholds come from the calibration file beside the model
(`cnn.calibration.json` for `cnn.tflite`), all chosen on validation data by
`model_training.calibrate`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognition.mnist_recipe import to_model_input

NOT_A_DIGIT = 10


@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float


@dataclass(frozen=True)
class Calibration:
    """Temperature for the probabilities and the two thresholds the answer uses."""

    temperature: float = 1.0
    unsure_below: float = 0.6  # a top digit confidence under this is "not sure"
    reject_above: float = 0.5  # a "not a digit" probability at or above this rejects the drawing

    @classmethod
    def for_model(cls, model_path: Path) -> Calibration:
        path = model_path.with_name(model_path.stem + ".calibration.json")
        if not path.is_file():
            return cls()
        values = json.loads(path.read_text())
        return cls(float(values["temperature"]), float(values["unsure_below"]), float(values["reject_above"]))


@dataclass(frozen=True)
class Answer:
    """What the model says of one drawing: ranked digits, and whether it is a digit at all."""

    predictions: list[Prediction]
    not_a_digit: bool
    uncertain: bool


def calibrate(raw: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling of a softmax output: softmax(log(p) / T), float64."""
    logits = np.log(np.clip(np.asarray(raw, np.float64), 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=-1, keepdims=True)


class Classifier:
    """Loads a model file once and maps a 28x28 digit to calibrated class probabilities.

    `.tflite` runs on LiteRT (fast, small; one interpreter per process, guarded by a lock since
    an interpreter is not thread-safe). `.keras` runs Keras's `model.predict`, the way most
    demos serve, kept as the benchmark's baseline; it needs TensorFlow installed.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"model file not found: {self.path}")
        self.name = self.path.name
        self.calibration = Calibration.for_model(self.path)
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
        self.classes = len(self.raw_probabilities(np.zeros((28, 28), np.uint8)))  # also warms up

    def _run_litert(self, x: np.ndarray) -> np.ndarray:
        self._interpreter.set_tensor(self._input, x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0].copy()

    def raw_probabilities(self, digit: np.ndarray) -> np.ndarray:
        """uint8 28x28 MNIST-style digit -> the model's own output probabilities (float32)."""
        x = to_model_input(digit)
        with self._lock:
            return self._run(x)

    def probabilities(self, digit: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of the classes: the ten digits, then "not a digit" if the model has it."""
        return calibrate(self.raw_probabilities(digit), self.calibration.temperature)

    def answer(self, digit: np.ndarray, top_k: int = 3) -> Answer:
        """The `top_k` most likely digits, best first, and whether the drawing is a digit at all."""
        return self.answer_from(self.probabilities(digit), top_k)

    def answer_from(self, probs: np.ndarray, top_k: int = 3) -> Answer:
        """The answer that calibrated probabilities (from `probabilities`) give, without running the model again."""
        order = np.argsort(probs[:10])[::-1][:top_k]
        predictions = [Prediction(int(i), float(probs[i])) for i in order]
        rejected = self.classes > NOT_A_DIGIT and probs[NOT_A_DIGIT] >= self.calibration.reject_above
        return Answer(predictions, bool(rejected), predictions[0].confidence < self.calibration.unsure_below)
