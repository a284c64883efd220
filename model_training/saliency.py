"""Is the saliency map faithful? The deletion test on digits the model never trained on.

    python -m model_training.saliency [--count 1000] [--split test|validation] [--fraction 0.1]

For each digit, remove the ink the map ranks highest (FRACTION of the digit's ink, by mass),
and, apart, the same amount of ink picked at random (RANDOM_DRAWS times). The map is faithful
on that digit when the top answer's probability falls further with the ranked removal than with
the random removals on average (compared as log-odds, which order probabilities the same way
and stay readable where float32 rounds a confident answer to 1.0). Both go through the served
model. The occlusion's pieces (squares or pieces of stroke, how many) and FRACTION were chosen on
validation digits; MNIST's test digits are only reported.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from model_training.data import load_mnist, split
from recognition import DEFAULT_MODEL
from recognition.explain import Explainer, log_odds
from recognition.mnist_recipe import to_model_input

FRACTION = 0.1  # share of the digit's ink (by mass) that each removal takes away
RANDOM_DRAWS = 8
GOAL = 0.8


@dataclass(frozen=True)
class Deletion:
    """One digit's deletion test: the top answer's log-odds after each kind of removal."""

    ranked: float
    random: float

    @property
    def faithful(self) -> bool:
        return self.ranked < self.random


def without_ink(digit: np.ndarray, order: np.ndarray, inked: np.ndarray, mass: float) -> np.ndarray:
    """`digit` with ink pixels removed in `order` (indices into `inked`) until `mass` is gone."""
    values = digit.ravel()[inked[order]].astype(np.float64)
    count = int(np.searchsorted(np.cumsum(values), mass)) + 1
    out = digit.ravel().copy()
    out[inked[order[:count]]] = 0
    return out.reshape(digit.shape)


def deletion_test(explainer: Explainer, digit: np.ndarray, rng: np.random.Generator,
                  fraction: float = FRACTION, draws: int = RANDOM_DRAWS) -> Deletion:
    """The deletion test on one uint8 28x28 digit, for the top digit the served model answers."""
    saliency, target = explainer.saliency(digit)
    inked = np.flatnonzero(digit.ravel() > 0)
    ink = digit.ravel()[inked].astype(np.float64)
    mass = fraction * ink.sum()
    ranked = np.lexsort((-ink, -saliency.ravel()[inked]))  # most salient first, darker first among equals
    removed = [without_ink(digit, ranked, inked, mass)]
    removed += [without_ink(digit, rng.permutation(len(inked)), inked, mass) for _ in range(draws)]
    scores = log_odds(explainer.served(to_model_input(np.stack(removed))), target)
    return Deletion(float(scores[0]), float(scores[1:].mean()))


def faithfulness(explainer: Explainer, digits: np.ndarray, seed: int = 0,
                 fraction: float = FRACTION, draws: int = RANDOM_DRAWS) -> float:
    """The share of `digits` on which the saliency map passes the deletion test."""
    rng = np.random.default_rng(seed)
    return float(np.mean([deletion_test(explainer, d, rng, fraction, draws).faithful for d in digits]))


def digits_of(split_name: str, count: int, offset: int = 0) -> np.ndarray:
    """`count` digits from MNIST's test set or from the validation split training held out."""
    (x_train, y_train), (x_test, _) = load_mnist()
    if split_name == "test":
        return x_test[offset:offset + count]
    _, (x_val, _) = split(x_train, y_train, 0.1, 42)
    return x_val[offset:offset + count]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Deletion test of the occlusion saliency map.")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument("--fraction", type=float, default=FRACTION)
    parser.add_argument("--draws", type=int, default=RANDOM_DRAWS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model_dir = DEFAULT_MODEL.parent
    explainer = Explainer(DEFAULT_MODEL, model_dir / "cnn_features.tflite", model_dir / "mlp.tflite")
    digits = digits_of(args.split, args.count, args.offset)
    start = time.perf_counter()
    share = faithfulness(explainer, digits, args.seed, args.fraction, args.draws)
    print(f"deletion test, {len(digits)} MNIST {args.split} digits from {args.offset}, "
          f"{args.fraction:.0%} of the ink, {args.draws} random draws: saliency faithful on {share:.1%} "
          f"(goal {GOAL:.0%}; {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
