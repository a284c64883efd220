"""Calibrate the served model and choose its "not sure" and "not a digit" thresholds.

    python -m model_training.calibrate [--model saved_model/cnn.tflite]

On the validation set the training used for selection (the held-out MNIST split, its style
variants, canvas redrawings and non-digits), fits one temperature that minimises the negative
log-likelihood (Guo et al. 2017, "On Calibration of Modern Neural Networks"), then picks:

- `reject_above`: the "not a digit" probability at or above which a drawing is rejected, set so
  that at most REJECT_DIGITS of the validation digits are rejected;
- `unsure_below`: the smallest confidence at and above which the digit answers given are right
  at least UNSURE_PRECISION of the time; under it the answer says "not sure".

Writes `<model>.calibration.json` beside the model, which the server reads at start.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from model_training import synth
from model_training.data import load_mnist, split
from recognition.classifier import NOT_A_DIGIT, Classifier, calibrate

SAVED_MODEL = Path(__file__).resolve().parent.parent / "saved_model"
REJECT_DIGITS = 0.004  # share of validation digits the rejection may flag
UNSURE_PRECISION = 0.995  # answers at or above the "not sure" threshold are right this often


def validation_digits(seed: int = 42, val_size: float = 0.1, data: Path | None = None) -> tuple[int, np.ndarray, np.ndarray]:
    """The size of the training split and the validation-split digits and labels that training held out."""
    (x_all, y_all), _ = load_mnist(data)
    (x_train, _), (x_val, y_val) = split(x_all, y_all, val_size, seed)
    return len(x_train), x_val, y_val


def validation_set(seed: int = 42, val_size: float = 0.1, data: Path | None = None,
                   served: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The validation images and labels the training selected on (same seed, same split): the MNIST
    validation digits first (as given, or as the serving recipe hands them to the model if `served`),
    then the generated sets."""
    train_count, x_val, y_val = validation_digits(seed, val_size, data)
    check = synth.check_set(x_val, y_val, train_count, seed)
    mnist = synth.served_forms(x_val) if served else x_val
    return np.concatenate([mnist, check.x]), np.concatenate([y_val.astype(np.int64), check.y])


def raw_outputs(classifier: Classifier, images: np.ndarray) -> np.ndarray:
    """The served model's uncalibrated output for each image."""
    return np.stack([classifier.raw_probabilities(image) for image in images])


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0))))


def fit_temperature(raw: np.ndarray, labels: np.ndarray) -> float:
    """The temperature with the lowest negative log-likelihood, by a fine search in log space."""
    grid = np.exp(np.linspace(np.log(0.3), np.log(5.0), 400))
    return float(grid[int(np.argmin([nll(calibrate(raw, t), labels) for t in grid]))])


def reliability_bins(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> list[tuple[float, float, int]]:
    """(mean confidence, share right, count) of each non-empty equal-width confidence bin."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    return [(float(confidence[which == b].mean()), float(correct[which == b].mean()), int((which == b).sum()))
            for b in range(bins) if (which == b).any()]


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE: the bin-weighted gap between confidence and accuracy over equal-width bins."""
    return float(sum(count / len(confidence) * abs(mean - right)
                     for mean, right, count in reliability_bins(confidence, correct, bins)))


def top_answer(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The predicted class (0-10) and its probability for each row."""
    return probs.argmax(axis=1), probs.max(axis=1)


def choose_thresholds(probs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(reject_above, unsure_below) from calibrated validation probabilities."""
    is_digit = labels != NOT_A_DIGIT
    reject = 1.0
    if probs.shape[1] > NOT_A_DIGIT:
        reject = float(np.clip(np.quantile(probs[is_digit, NOT_A_DIGIT], 1 - REJECT_DIGITS), 0.2, 0.95))
        kept = probs[:, NOT_A_DIGIT] < reject
    else:
        kept = np.ones(len(labels), bool)
    digit = probs[:, :10].argmax(axis=1)
    confidence = probs[:, :10].max(axis=1)
    right = (digit == labels) & kept
    order = np.argsort(-confidence)
    precision = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    good = np.flatnonzero(precision >= UNSURE_PRECISION)
    unsure = float(confidence[order][good[-1]]) if good.size else 0.95
    return reject, float(np.clip(unsure, 0.5, 0.95))


def run(model: Path, seed: int = 42, data: Path | None = None) -> dict:
    """Fit and write the calibration of `model`; return what was written."""
    classifier = Classifier(model)
    images, labels = validation_set(seed, data=data)
    if classifier.classes <= NOT_A_DIGIT:
        keep = labels != NOT_A_DIGIT
        images, labels = images[keep], labels[keep]
    raw = raw_outputs(classifier, images)
    temperature = fit_temperature(raw, labels)
    probs = calibrate(raw, temperature)
    reject, unsure = choose_thresholds(probs, labels)
    uncalibrated = calibrate(raw, 1.0)
    before_pred, before_conf = top_answer(uncalibrated)
    pred, conf = top_answer(probs)
    result = {
        "temperature": round(temperature, 4),
        "reject_above": round(reject, 4),
        "unsure_below": round(unsure, 4),
        "validation_images": int(len(labels)),
        "validation": {
            "nll_before": round(nll(uncalibrated, labels), 4),
            "nll_after": round(nll(probs, labels), 4),
            "ece_before": round(expected_calibration_error(before_conf, before_pred == labels), 4),
            "ece_after": round(expected_calibration_error(conf, pred == labels), 4),
        },
    }
    path = model.with_name(model.stem + ".calibration.json")
    path.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Calibrate the served model and choose its thresholds.")
    parser.add_argument("--model", type=Path, default=SAVED_MODEL / "cnn.tflite")
    parser.add_argument("--seed", type=int, default=42, help="the training run's seed (same validation split)")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args.model, args.seed, args.data)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
