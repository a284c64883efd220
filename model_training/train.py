"""Train the CNN or the MLP baseline on MNIST, the generated styles and the non-digits.

    python -m model_training.train --model cnn --epochs 30 [--resume]

Adam on cross-entropy with a cosine learning-rate schedule, a validation split held out of the
training set (the test set is never used for selection), early stopping, and the best epoch's
weights kept. Each epoch trains on a fresh draw of the MNIST training split (as given, or as
the serving recipe returns it) and the generated sets, all augmented (`augment.py`).

After every epoch the run is checkpointed (`<output>/checkpoints/<model>/`: weights, optimizer,
epoch, early-stopping state, curves), so stopping at any moment loses at most the epoch under
way; `--resume` continues from there to the same figures as an uninterrupted run, since each
epoch's data order, augmentation and dropout depend only on the seed and the epoch number.
Every run appends to `<output>/logs/<model>.log`. Writes `<output>/<model>.keras` (no optimizer
state) and `<output>/<model>_history.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from model_training import synth  # noqa: E402
from model_training.augment import augment_batch  # noqa: E402
from model_training.data import DataUnavailableError, load_mnist, split  # noqa: E402
from model_training.models import BUILDERS  # noqa: E402
from recognition.mnist_recipe import to_model_input  # noqa: E402

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "saved_model"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(BUILDERS), default="cnn")
    parser.add_argument("--filters", type=int, default=32, help="CNN width: filters of the first block (the second has twice as many)")
    parser.add_argument("--epochs", type=int, default=30, help="upper bound; early stopping may end sooner")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="peak of the cosine schedule")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--synth", action=argparse.BooleanOptionalAction, default=True,
                        help="train on the generated styles and non-digits too")
    parser.add_argument("--mnist-share", type=float, default=0.6, help="share of the MNIST split drawn each epoch")
    parser.add_argument("--redraw-scale", type=float, default=1.0,
                        help="multiply the number of MNIST digits redrawn as canvases (any, thick and thin pens)")
    parser.add_argument("--init", type=Path, default=None, help="start from this model's weights (warm start)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--stop-after", type=int, default=None, help="stop after this many epochs in this call")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder for the model and history")
    parser.add_argument("--seed", type=int, default=42, help="initialisation, data order, augmentation, generated sets")
    parser.add_argument("--split-seed", type=int, default=42,
                        help="the validation split; keep it for every model that is calibrated or evaluated together")
    parser.add_argument("--data", type=Path, default=None, help="mnist.npz (default: $MNIST_PATH or data/mnist.npz)")
    parser.add_argument("--val-size", type=float, default=0.1, help="fraction of training images held out for validation")
    parser.add_argument("--limit", type=int, default=None, help="train on only the first N training images (quick runs)")
    parser.add_argument("--patience", type=int, default=6, help="epochs without validation improvement before stopping")
    return parser.parse_args(argv)


def learning_rate(epoch: int, epochs: int, peak: float) -> float:
    """Cosine decay from `peak` to 2% of it over the run."""
    return peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * epoch / max(epochs, 1))))


def epoch_data(epoch: int, sets: dict, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """This epoch's shuffled, augmented training images and labels; depends on seed and epoch only."""
    rng = np.random.default_rng([args.seed, epoch])
    x_raw, x_served, y = sets["mnist"]
    n = len(y) if not args.synth else int(len(y) * args.mnist_share)
    picks = rng.permutation(len(y))[:n]
    use_served = rng.random(n) < 0.5
    xs = [np.where(use_served[:, None, None], x_served[picks], x_raw[picks])]
    ys = [y[picks]]
    if "synth" in sets:
        xs.append(sets["synth"].x)
        ys.append(sets["synth"].y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    if args.augment:
        x = augment_batch(x, rng)
    return x, y


def build(args: argparse.Namespace) -> keras.Model:
    """A fresh, uncompiled model of the kind and width the arguments name."""
    return BUILDERS[args.model](args.filters) if args.model == "cnn" else BUILDERS[args.model]()


def reseed(model: keras.Model, seed: int) -> None:
    """Set every random state the model draws from (dropout) from `seed`."""
    keras.utils.set_random_seed(seed)
    for layer in model._flatten_layers():
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([seed, 0], dtype=generator.state.dtype))


def warm_start(model: keras.Model, source: Path) -> None:
    """Copy weights layer by layer from a model file; an output layer with fewer classes fills the first rows.

    Any other layer whose shape differs (a source of another `--filters` width) is an error, not
    a silent fresh start."""
    old = keras.models.load_model(source, compile=False)
    old_layers = {layer.name: layer for layer in old.layers}
    for layer in model.layers:
        if layer.name not in old_layers or not layer.weights:
            continue
        weights = old_layers[layer.name].get_weights()
        new = layer.get_weights()
        if all(w.shape == n.shape for w, n in zip(weights, new)):
            layer.set_weights(weights)
        elif layer.name == "probabilities" and weights[0].shape[0] == new[0].shape[0]:
            new[0][:, : weights[0].shape[1]] = weights[0]
            new[1][: weights[1].shape[0]] = weights[1]
            layer.set_weights(new)
        else:
            shapes = [tuple(w.shape) for w in weights], [tuple(n.shape) for n in new]
            raise ValueError(f"--init {source}: layer {layer.name} has shapes {shapes[0]}, this model {shapes[1]}"
                             " (another --filters width?)")


class Tee:
    """Write to the console and a log file at once."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> None:
        for stream in self.streams:
            stream.write(text)
            stream.flush()

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def checkpoint(folder: Path, model: keras.Model, state: dict) -> None:
    """Write the model (with optimizer state) and the run state, each replaced atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "last.tmp.keras")
    (folder / "state.tmp.json").write_text(json.dumps(state))
    os.replace(folder / "last.tmp.keras", folder / "last.keras")
    os.replace(folder / "state.tmp.json", folder / "state.json")


def keep_best(folder: Path, model: keras.Model, state: dict, key: str, value: float, lower_is_better: bool = True) -> None:
    """Early stopping's bookkeeping after an epoch: a new best `value` keeps the weights (written
    atomically) and resets the wait; anything else counts one more epoch of waiting."""
    best = state[key]
    if best is None or (value < best if lower_is_better else value > best):
        state.update({key: value, "best_epoch": state["epoch"], "wait": 0})
        folder.mkdir(parents=True, exist_ok=True)
        model.save_weights(folder / "best.tmp.weights.h5")
        os.replace(folder / "best.tmp.weights.h5", folder / "best.weights.h5")
    else:
        state["wait"] += 1


def train(args: argparse.Namespace) -> dict:
    """Run (or resume) one training and write the model and its history; return the history record."""
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()  # same seed, same figures (a little slower)
    (x_all, y_all), _ = load_mnist(args.data)
    if args.limit:
        x_all, y_all = x_all[: args.limit], y_all[: args.limit]
    (x_train, y_train), (x_val, y_val) = split(x_all, y_all, args.val_size, args.split_seed)
    sets = {"mnist": (x_train, synth.served_forms(x_train), y_train.astype(np.int64))}
    x_check, y_check = x_val, y_val.astype(np.int64)
    if args.synth:
        counts = synth.scaled(synth.TRAIN_COUNTS, len(x_train))
        counts.update({k: round(counts[k] * args.redraw_scale) for k in synth.REDRAWN})
        sets["synth"] = synth.cached(x_train, y_train, counts, args.seed)
        check = synth.check_set(x_val, y_val, len(x_train), args.split_seed)
        x_check, y_check = np.concatenate([x_check, check.x]), np.concatenate([y_check, check.y])
    val_ds = (to_model_input(x_check), y_check)

    folder = args.output / "checkpoints" / args.model
    state = json.loads((folder / "state.json").read_text()) if args.resume and (folder / "state.json").exists() else None
    if state:
        model = keras.models.load_model(folder / "last.keras")
        print(f"resuming after epoch {state['epoch']} of {args.epochs}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
        model = build(args)
        if args.init:
            warm_start(model, args.init)
        model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        state = {"epoch": 0, "best_val_loss": None, "best_epoch": 0, "wait": 0, "wall_time_s": 0.0, "history": {}}
        model.summary(print_fn=lambda line, **_: print(line))
    print(f"train {len(y_train)} MNIST + {len(sets['synth']) if 'synth' in sets else 0} generated / "
          f"validation {len(y_check)} images, augmentation {'on' if args.augment else 'off'}")

    done_here = 0
    while state["epoch"] < args.epochs and state["wait"] < args.patience:
        if args.stop_after is not None and done_here >= args.stop_after:
            break
        epoch = state["epoch"]
        start = time.perf_counter()
        x, y = epoch_data(epoch, sets, args)
        model.optimizer.learning_rate.assign(learning_rate(epoch, args.epochs, args.learning_rate))
        reseed(model, args.seed * 1000 + epoch)
        fit = model.fit(to_model_input(x), y, batch_size=args.batch_size, validation_data=val_ds, shuffle=False,
                        verbose=2, epochs=epoch + 1, initial_epoch=epoch)
        for key, values in fit.history.items():
            state["history"].setdefault(key, []).append(float(values[-1]))
        state["history"].setdefault("learning_rate", []).append(learning_rate(epoch, args.epochs, args.learning_rate))
        state["epoch"] = epoch + 1
        keep_best(folder, model, state, "best_val_loss", state["history"]["val_loss"][-1])
        state["wall_time_s"] += time.perf_counter() - start
        checkpoint(folder, model, state)
        done_here += 1
    if state["epoch"] < args.epochs and state["wait"] < args.patience:
        print(f"stopped after epoch {state['epoch']}; continue with --resume")
        return state

    best = build(args)  # a fresh, uncompiled model: saved without optimizer state
    best.load_weights(folder / "best.weights.h5")
    model_path = args.output / f"{args.model}.keras"
    best.save(model_path)
    curves = state["history"]
    record = {
        "model": args.model,
        "epochs_run": state["epoch"],
        "best_epoch": state["best_epoch"],
        "best_val_accuracy": curves["val_accuracy"][state["best_epoch"] - 1],
        "train_wall_time_s": round(state["wall_time_s"], 1),
        "train_images": len(x_train),
        "generated_images": len(sets["synth"]) if "synth" in sets else 0,
        "val_images": len(y_check),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k not in ("resume", "stop_after")},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "history": curves,
    }
    (args.output / f"{args.model}_history.json").write_text(json.dumps(record, indent=2))
    print(f"best epoch {record['best_epoch']}/{record['epochs_run']}: validation accuracy {record['best_val_accuracy']:.4f}")
    print(f"training wall time: {record['train_wall_time_s']:.1f} s ({record['train_wall_time_s'] / 60:.1f} min)")
    print(f"saved {model_path}")
    return record


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    log_dir = args.output / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{args.model}.log", "a") as log, contextlib.redirect_stdout(Tee(sys.stdout, log)):
        print(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} train {' '.join(argv if argv is not None else sys.argv[1:])}")
        try:
            train(args)
        except DataUnavailableError as exc:
            sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
