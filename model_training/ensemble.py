"""Combine trained CNNs into one model that averages their probabilities.

    python -m model_training.ensemble build/a/cnn.keras build/b/cnn.keras --weights 0.5 0.5 \
        --output saved_model/cnn.keras
    python -m model_training.ensemble build/a/cnn.keras build/b/cnn.keras --digits-only build/c/cnn.keras \
        --weights 0.3 0.3 0.4 --output saved_model/cnn.keras
    python -m model_training.ensemble build/a/cnn.keras build/b/cnn.keras --digits-only build/c/cnn.keras --choose

Networks trained differently make different mistakes; a weighted mean of their probabilities
is right more often than either. A network trained on MNIST alone never learned "not a digit",
so it is given with `--digits-only`: its output is read as the ten digits alone, and they share
the room the other members leave to digits; only those members say whether a drawing is a digit
at all. The result is one Keras model (each member a nested model named `member<i>`, or
`digits<i>` when it answers the digits only), so export,
calibration and serving treat it like any other. `--choose` picks the members and weights on
validation data: for every set of members, the weights (in steps of a tenth) that answer the
most validation images right (a digit read as itself, a non-digit with "not a digit" on top),
the lower log-loss breaking ties.
"""

from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from model_training.models import INPUT_SHAPE  # noqa: E402
from recognition.classifier import NOT_A_DIGIT  # noqa: E402


def build(paths: list[Path], weights: list[float] | None = None, digits_only: list[Path] = ()) -> keras.Model:
    """One model whose output is the weighted mean of the members' probabilities (11 classes):
    `paths` answer "not a digit" too, `digits_only` (weighted after them) the ten digits alone."""
    everyone = [*paths, *digits_only]
    weights = [float(w / sum(weights)) for w in weights] if weights else [1 / len(everyone)] * len(everyone)
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    outputs = []
    for i, path in enumerate(everyone):
        member = keras.models.load_model(path, compile=False)
        member.name = f"member{i}" if i < len(paths) else f"digits{i}"
        out = member(inputs)
        outputs.append(out if i < len(paths) else digits_of(out))
    return keras.Model(inputs, combine(outputs, weights, ops.concatenate), name="cnn_ensemble")


def digits_of(out: keras.KerasTensor | np.ndarray) -> keras.KerasTensor | np.ndarray:
    """The ten digit probabilities of an output, renormalised: how a digits-only member is read."""
    out = out[:, :10]
    return out / ops.sum(out, axis=-1, keepdims=True)


def members(model: keras.Model) -> list[keras.Model]:
    """The member networks of an ensemble, or the model itself when it is a single network."""
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return nested or [model]


def weightings(count: int, step: float = 0.1) -> list[tuple[float, ...]]:
    """Every way to share 1 among `count` members in multiples of `step`, each member at least one step."""
    units = round(1 / step)
    return [tuple(u * step for u in split) for split in itertools.product(range(1, units), repeat=count)
            if sum(split) == units] if count > 1 else [(1.0,)]


def rejecting(outputs: list) -> bool:
    """Whether any member answers "not a digit" (11 classes), as an ensemble needs."""
    return any(out.shape[-1] == 11 for out in outputs)


def combine(outputs: list, weights, concatenate=np.concatenate):
    """The ensemble's output from its members' outputs: Keras tensors in `build` (with `ops.concatenate`),
    NumPy arrays when choosing weights. A ten-class member's digits share what the others leave to digits."""
    if not rejecting(outputs):
        raise ValueError("at least one member must answer 'not a digit' (11 classes)")
    rejects = [(w, out) for w, out in zip(weights, outputs) if out.shape[-1] == 11]
    reject = sum(w * out[:, 10:] for w, out in rejects) / sum(w for w, _ in rejects)
    digits = sum(w * (out[:, :10] if out.shape[-1] == 11 else out * (1 - reject)) for w, out in zip(weights, outputs))
    return concatenate([digits, reject], axis=-1)


def errors(probs: np.ndarray, labels: np.ndarray) -> int:
    """Validation images answered wrong: a digit not read as itself, a non-digit without "not a digit" on top."""
    is_digit = labels != NOT_A_DIGIT
    return int(np.sum(probs[is_digit, :10].argmax(axis=1) != labels[is_digit])
               + np.sum(probs[~is_digit].argmax(axis=1) != NOT_A_DIGIT))


def choose(paths: list[Path], digits_only: list[Path] = ()) -> list[dict]:
    """For every set of the members with at least one of `paths`, its best weights on validation and what they give."""
    from model_training.calibrate import nll, validation_digits, validation_set
    from recognition.mnist_recipe import to_model_input

    images, labels = validation_set(served=True)  # the MNIST validation digits as served, then the generated sets
    mnist = np.arange(len(labels)) < len(validation_digits()[1])
    x = to_model_input(images)

    def predicted(path: Path) -> np.ndarray:
        return keras.models.load_model(path, compile=False).predict(x, batch_size=1000, verbose=0)

    outputs = [predicted(p) for p in paths] + [np.asarray(digits_of(predicted(p))) for p in digits_only]
    paths = [*paths, *digits_only]
    is_digit = labels != NOT_A_DIGIT
    results = []
    for size in range(1, len(paths) + 1):
        for chosen in itertools.combinations(range(len(paths)), size):
            if not rejecting([outputs[i] for i in chosen]):
                continue
            scored = []
            for weights in weightings(size):
                probs = combine([outputs[i] for i in chosen], weights)
                scored.append((errors(probs, labels), nll(probs, labels), weights, probs))
            wrong, loss, weights, probs = min(scored, key=lambda s: s[:2])
            digit = probs[:, :10].argmax(axis=1)
            results.append({
                "members": [str(paths[i]) for i in chosen], "weights": [round(w, 2) for w in weights],
                "errors": wrong, "log_loss": loss, "digits": float(np.mean(digit[is_digit] == labels[is_digit])),
                "mnist": float(np.mean(digit[mnist] == labels[mnist])),
                "non_digits_on_top": float(np.mean(probs[~is_digit].argmax(axis=1) == NOT_A_DIGIT)),
            })
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Average trained CNNs into one model.")
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--digits-only", nargs="+", type=Path, default=[],
                        help="networks trained on MNIST alone: only their ten digits count")
    parser.add_argument("--weights", nargs="+", type=float, default=None,
                        help="one per model, the --digits-only ones last (default: equal)")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--choose", action="store_true", help="print each set of members' best weights on validation")
    args = parser.parse_args(argv)
    if args.choose:
        for r in choose(args.models, args.digits_only):
            print(f"{' + '.join(r['members'])}: weights {r['weights']}, validation errors {r['errors']}, log-loss {r['log_loss']:.4f}, "
                  f"digits {r['digits']:.2%} (MNIST split {r['mnist']:.2%}), non-digits on top {r['non_digits_on_top']:.1%}")
        return
    if args.output is None:
        parser.error("give --output (or --choose)")
    if args.weights and len(args.weights) != len(args.models) + len(args.digits_only):
        parser.error("give one weight per model")
    model = build(args.models, args.weights, args.digits_only)
    model.save(args.output)
    print(f"wrote {args.output}: the weighted mean of {len(args.models) + len(args.digits_only)} networks")


if __name__ == "__main__":
    main()
