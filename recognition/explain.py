"""Why the model answered as it did: an occlusion saliency map, each convolution block's feature
maps and the MLP baseline's answer for one 28x28 digit, all on LiteRT (no TensorFlow).

Occlusion sensitivity: the digit's ink is cut into PIECES pieces of stroke (k-means on the inked
pixels' positions); the served model is asked again with each piece erased, and an inked
pixel's saliency is how much erasing its piece lowers the top answer's log-odds (pixels without
ink have none: erasing them changes nothing). All erased copies go through the model in one
call, the interpreter's batch dimension resized to fit them. Pieces of stroke rank the ink as
well as a grid of 3x3 squares by the deletion test (`model_training.saliency`) at half the calls.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from recognition.classifier import NOT_A_DIGIT, Prediction
from recognition.mnist_recipe import to_model_input

SIDE = 28
PIECES = 16
KMEANS_SEED = 0
KMEANS_STOP = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.1)
TINY = 1e-30  # floor of a probability before its logarithm
OCCLUSION_THREADS = 2  # the erased copies are one large call: two threads take about half the time


@dataclass(frozen=True)
class LayerMaps:
    """One convolution block's activations for one digit: (height, width, channels), >= 0."""

    name: str
    maps: np.ndarray


class BatchModel:
    """A LiteRT model run on batches of any size: the input's batch dimension follows each call.

    An interpreter is not thread-safe, so each call holds a lock.
    """

    def __init__(self, path: str | Path, threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self._interpreter = Interpreter(model_path=str(self.path), num_threads=threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 0
        self._lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """float32 (n, 28, 28, 1) in [0, 1] -> the model's output, (n, classes)."""
        with self._lock:
            if len(x) != self._batch:
                self._interpreter.resize_tensor_input(self._input, [len(x), SIDE, SIDE, 1])
                self._interpreter.allocate_tensors()
                self._batch = len(x)
            self._interpreter.set_tensor(self._input, np.ascontiguousarray(x, np.float32))
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output).copy()


@dataclass(frozen=True)
class Pieces:
    """The inked pixels of a digit (rows, cols) and the piece of stroke each belongs to."""

    rows: np.ndarray
    cols: np.ndarray
    labels: np.ndarray
    count: int


def ink_pieces(digit: np.ndarray, pieces: int = PIECES) -> Pieces:
    """Cut the inked pixels into up to `pieces` compact pieces (k-means on their positions, seeded)."""
    rows, cols = np.nonzero(digit)
    count = min(pieces, len(rows))
    if count < 2:
        return Pieces(rows, cols, np.zeros(len(rows), np.int32), count)
    cv2.setRNGSeed(KMEANS_SEED)
    points = np.stack([rows, cols], axis=1).astype(np.float32)
    _, labels, _ = cv2.kmeans(points, count, None, KMEANS_STOP, 1, cv2.KMEANS_PP_CENTERS)
    return Pieces(rows, cols, labels.ravel(), count)


def erased_copies(digit: np.ndarray, pieces: Pieces) -> np.ndarray:
    """The model input for `digit`, then one copy per piece with that piece's ink erased."""
    copies = np.repeat(to_model_input(digit), pieces.count + 1, axis=0)
    for piece in range(pieces.count):
        chosen = pieces.labels == piece
        copies[piece + 1, pieces.rows[chosen], pieces.cols[chosen], 0] = 0.0
    return copies


def log_odds(outputs: np.ndarray, target: int) -> np.ndarray:
    """log(p_target / p_others) of each row of softmax outputs: a monotone function of p_target
    that stays readable where a confident p_target rounds to 1.0 in float32."""
    outputs = np.asarray(outputs, np.float64)
    others = outputs.sum(axis=1) - outputs[:, target]
    return np.log(np.maximum(outputs[:, target], TINY)) - np.log(np.maximum(others, TINY))


def occlusion_saliency(model: BatchModel, digit: np.ndarray, target: int | None = None) -> tuple[np.ndarray, int]:
    """(saliency in [0, 1], 28x28 float32; the class explained) for a uint8 28x28 digit.

    `target` defaults to the top digit (0-9) of the model's own answer.
    """
    pieces = ink_pieces(digit)
    outputs = model(erased_copies(digit, pieces))
    if target is None:
        target = int(np.argmax(outputs[0, :NOT_A_DIGIT]))
    scores = log_odds(outputs, target)
    drops = np.maximum(scores[0] - scores[1:], 0.0).astype(np.float32)
    saliency = np.zeros((SIDE, SIDE), np.float32)
    saliency[pieces.rows, pieces.cols] = drops[pieces.labels]
    peak = float(saliency.max())
    return (saliency / peak if peak > 0 else saliency), target


class FeatureModel:
    """The exported feature-map model: its signature runner returns each block's output by name."""

    def __init__(self, path: str | Path):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self._interpreter = Interpreter(model_path=str(self.path), num_threads=1)
        self._runner = self._interpreter.get_signature_runner()
        self._input_name = self._interpreter.get_signature_list()["serving_default"]["inputs"][0]
        self._lock = threading.Lock()

    def __call__(self, digit: np.ndarray) -> list[LayerMaps]:
        """Each block's activations for a uint8 28x28 digit, in block order."""
        with self._lock:
            outputs = self._runner(**{self._input_name: to_model_input(digit)})
        return [LayerMaps(name, np.asarray(outputs[name][0]).copy()) for name in sorted(outputs)]


def to_grey(values: np.ndarray) -> np.ndarray:
    """Non-negative values scaled so the largest is 255, as uint8 (all zeros stay black)."""
    peak = float(values.max()) if values.size else 0.0
    if peak <= 0 or not np.isfinite(peak):
        return np.zeros(values.shape, np.uint8)
    return np.clip(np.rint(values / peak * 255.0), 0, 255).astype(np.uint8)


def top_predictions(probabilities: np.ndarray, top_k: int) -> list[Prediction]:
    """The `top_k` most likely digits of a probability vector, best first."""
    order = np.argsort(probabilities[:NOT_A_DIGIT])[::-1][:top_k]
    return [Prediction(int(i), float(probabilities[i])) for i in order]


class Explainer:
    """The three models an explanation needs, each loaded once: the served CNN (occlusion),
    the feature-map export of one of its networks, and the MLP baseline."""

    def __init__(self, served: str | Path, features: str | Path, baseline: str | Path):
        self.served = BatchModel(served, OCCLUSION_THREADS)
        self.features = FeatureModel(features)
        self.baseline = BatchModel(baseline)

    def saliency(self, digit: np.ndarray, target: int | None = None) -> tuple[np.ndarray, int]:
        """Occlusion saliency of `digit` for `target` (default: the top digit), in [0, 1]."""
        return occlusion_saliency(self.served, digit, target)

    def layers(self, digit: np.ndarray) -> list[LayerMaps]:
        """Each convolution block's feature maps."""
        return self.features(digit)

    def baseline_predictions(self, digit: np.ndarray, top_k: int) -> list[Prediction]:
        """The MLP baseline's `top_k` digits for `digit` (its own softmax, uncalibrated)."""
        return top_predictions(self.baseline(to_model_input(digit))[0], top_k)
