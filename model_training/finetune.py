"""Fine-tune the shipped model on the corrections people sent, without forgetting MNIST.

    flask --app webapp corrections export build/corrections.npz
    python -m model_training.finetune --corrections build/corrections.npz [--output build/finetune] [--install]

A part of the corrections is held apart for validation. The rest, each drawn many times with
small augmentations, is mixed with MNIST training digits (rehearsal, so the model keeps what it
knew) and the whole ensemble is trained for a few epochs with Adam at a low learning rate, its
batch-norm statistics frozen. Two gates decide whether a model may replace the shipped one:
MNIST validation accuracy drops by at most 0.1 points, and the held-apart corrections improve.
They are checked after every epoch, and the epoch that passes them with the best held-apart
accuracy is kept. The result goes to the output folder (Keras model, LiteRT export, the
calibration it was served with, a report); `--install` replaces saved_model/ only when both pass.

`--style outlined` also measures the style the corrections are of on digits made from MNIST's
test set, and MNIST's test set itself: reported, never used for a decision.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from model_training import unseen_style  # noqa: E402
from model_training.augment import augment_batch  # noqa: E402
from model_training.data import load_mnist, split  # noqa: E402
from model_training.export import export  # noqa: E402
from recognition.mnist_recipe import to_model_input  # noqa: E402

SAVED_MODEL = Path(__file__).resolve().parent.parent / "saved_model"
NOT_A_DIGIT = 10
MAX_MNIST_DROP = 0.1  # points of MNIST validation accuracy a fine-tune may lose


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corrections", type=Path, required=True, help="a `flask corrections export` file")
    parser.add_argument("--model", type=Path, default=SAVED_MODEL / "cnn.keras")
    parser.add_argument("--output", type=Path, default=Path("build/finetune"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=1e-5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rehearsal", type=int, default=12000, help="MNIST training digits mixed in each epoch")
    parser.add_argument("--repeat", type=int, default=5, help="times each correction is drawn per epoch")
    parser.add_argument("--holdout", type=float, default=0.25, help="share of the corrections held apart")
    parser.add_argument("--val-limit", type=int, default=None, help="check on only this many validation digits")
    parser.add_argument("--style", choices=[unseen_style.NAME], default=None,
                        help="also report this style on digits made from MNIST's test set")
    parser.add_argument("--style-count", type=int, default=1000)
    parser.add_argument("--install", action="store_true", help="replace the shipped model when the gates pass")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split-seed", type=int, default=42, help="the validation split training used")
    return parser.parse_args(argv)


def load_corrections(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """All corrections of an export: images (n, 28, 28) uint8 and labels 0-10."""
    with np.load(path) as npz:
        x = [npz["x_train"], npz["x_not_a_digit"]] if "x_not_a_digit" in npz else [npz["x_train"]]
        y = [npz["y_train"].astype(np.int64), np.full(sum(len(a) for a in x[1:]), NOT_A_DIGIT, np.int64)]
    return np.concatenate(x).astype(np.uint8), np.concatenate(y)


def hold_apart(x: np.ndarray, y: np.ndarray, share: float, seed: int):
    """A seeded split of the corrections into (fit) and (held apart); at least one of each."""
    if len(y) < 2:
        raise SystemExit("need at least two corrections: one to learn from, one to check on")
    order = np.random.default_rng(seed).permutation(len(y))
    n_held = min(len(y) - 1, max(1, int(round(len(y) * share))))
    return (x[order[n_held:]], y[order[n_held:]]), (x[order[:n_held]], y[order[:n_held]])


def probabilities(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return model.predict(to_model_input(x), batch_size=500, verbose=0)


def digit_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """MNIST accuracy as the project reports it: the most likely digit, in percent."""
    return float(100 * np.mean(probabilities(model, x)[:, :10].argmax(1) == y))


def answer_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy over all eleven classes ("not a digit" is an answer too), in percent."""
    return float(100 * np.mean(probabilities(model, x).argmax(1) == y))


def freeze_batch_norm(model: keras.Model) -> None:
    """Keep the batch-norm statistics MNIST gave: a few hundred drawings must not move them."""
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def epoch_data(epoch: int, corrections, mnist, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """MNIST rehearsal digits and every correction `repeat` times, shuffled and augmented."""
    rng = np.random.default_rng([args.seed, epoch])
    (xc, yc), (xm, ym) = corrections, mnist
    picks = rng.choice(len(ym), size=min(args.rehearsal, len(ym)), replace=False)
    x = np.concatenate([xm[picks], np.repeat(xc, args.repeat, axis=0)])
    y = np.concatenate([ym[picks].astype(np.int64), np.repeat(yc, args.repeat)])
    order = rng.permutation(len(y))
    return augment_batch(x[order], rng), y[order]


def passes(before: dict[str, float], now: dict[str, float]) -> dict[str, bool]:
    """The two gates, on validation data only."""
    return {
        f"MNIST validation drops by at most {MAX_MNIST_DROP} points":
            now["mnist validation"] >= before["mnist validation"] - MAX_MNIST_DROP,
        "held-apart corrections improve": now["held-apart corrections"] > before["held-apart corrections"],
    }


def fine_tune(model: keras.Model, corrections, mnist, checks: dict, before: dict, args: argparse.Namespace) -> int:
    """Train epoch by epoch; keep the weights of the epoch that passes the gates with the best
    held-apart accuracy (or, when none passes, the last). Returns the epoch kept (1-based)."""
    freeze_batch_norm(model)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="sparse_categorical_crossentropy")
    keras.utils.set_random_seed(args.seed)
    best, kept = None, args.epochs
    for epoch in range(args.epochs):
        x, y = epoch_data(epoch, corrections, mnist, args)
        history = model.fit(to_model_input(x), y, batch_size=args.batch_size, epochs=1, verbose=0)
        now = measure(model, checks)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {history.history['loss'][-1]:.4f}, {now}", flush=True)
        if all(passes(before, now).values()) and (best is None or now["held-apart corrections"] > best[0]):
            best, kept = (now["held-apart corrections"], model.get_weights()), epoch + 1
    if best is not None:
        model.set_weights(best[1])
    return kept


def measure(model: keras.Model, sets: dict) -> dict[str, float]:
    """Accuracy on each named set: MNIST sets by digit, corrections and styles over all answers."""
    return {name: round((digit_accuracy if name.startswith("mnist") else answer_accuracy)(model, x, y), 2)
            for name, (x, y) in sets.items()}


def write_report(path: Path, report: dict) -> None:
    path.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["| set | before | after | change |", "|---|---|---|---|"]
    for name, before in report["before"].items():
        after = report["after"][name]
        lines.append(f"| {name} | {before:.2f}% | {after:.2f}% | {after - before:+.2f} |")
    gates = "\n".join(f"- {name}: {'pass' if ok else 'FAIL'}" for name, ok in report["gates"].items())
    path.with_suffix(".md").write_text(f"# Fine-tuning on corrections\n\n{report['summary']}\n\n"
                                       + "\n".join(lines) + f"\n\nGates:\n{gates}\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    x_corr, y_corr = load_corrections(args.corrections)
    fit, held = hold_apart(x_corr, y_corr, args.holdout, args.seed)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    (x_fit, y_fit), (x_val, y_val) = split(x_train, y_train, 0.1, args.split_seed)
    sets = {"mnist validation": (x_val[:args.val_limit], y_val[:args.val_limit]), "held-apart corrections": held}
    if args.style:
        sets[f"{args.style} (from MNIST test digits)"] = unseen_style.make(x_test, y_test, args.style_count, seed=1)
        sets["mnist test"] = (x_test, y_test)
    model = keras.models.load_model(args.model, compile=False)
    before = measure(model, sets)
    print(f"{len(y_corr)} corrections: {len(fit[1])} to learn from, {len(held[1])} held apart; before: {before}", flush=True)
    checks = {name: sets[name] for name in ("mnist validation", "held-apart corrections")}
    kept = fine_tune(model, fit, (x_fit, y_fit), checks, {k: before[k] for k in checks}, args)
    after = measure(model, sets)
    gates = passes(before, after)
    passed = all(gates.values())
    summary = (f"{len(fit[1])} corrections learned from ({len(held[1])} held apart), up to {args.epochs} epochs at "
               f"learning rate {args.learning_rate:g} with {args.rehearsal} MNIST digits rehearsed per epoch; "
               f"epoch {kept} kept. " + ("Both gates pass." if passed else "A gate fails: the shipped model must stay."))
    args.output.mkdir(parents=True, exist_ok=True)
    keras_path = args.output / "cnn.keras"
    model.save(keras_path)
    export(keras_path, args.output / "cnn.tflite")
    calibration = args.model.with_name(args.model.stem + ".calibration.json")
    if calibration.is_file():
        shutil.copy(calibration, args.output / "cnn.calibration.json")
    report = {"corrections": len(y_corr), "learned_from": len(fit[1]), "held_apart": len(held[1]), "epoch_kept": kept,
              "before": before, "after": after, "gates": gates, "passed": passed, "summary": summary}
    write_report(args.output / "report", report)
    print((args.output / "report.md").read_text())
    if args.install:
        if not passed:
            print("not installed: a gate failed", file=sys.stderr)
            return 1
        for name in ("cnn.keras", "cnn.tflite"):
            shutil.copy(args.output / name, args.model.with_name(name))
        print(f"installed into {args.model.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
