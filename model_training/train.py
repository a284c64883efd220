"""Train the CNN or the MLP baseline on MNIST.

    python -m model_training.train --model cnn --epochs 40

Adam on cross-entropy, a validation split held out of the training set (the test set is never
used for selection), the learning rate halved when validation loss stalls, early stopping, and
the best epoch's weights kept. Writes `<output>/<model>.keras` (no optimizer state) and
`<output>/<model>_history.json` (per-epoch curves, epochs run, wall time, settings).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from model_training.augment import augmenter  # noqa: E402
from model_training.data import DataUnavailableError, load_mnist  # noqa: E402
from model_training.models import BUILDERS  # noqa: E402
from webapp.preprocessing import to_model_input  # noqa: E402

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "saved_model"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(BUILDERS), default="cnn")
    parser.add_argument("--epochs", type=int, default=40, help="upper bound; early stopping may end sooner")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder for the model and history")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=None, help="mnist.npz (default: $MNIST_PATH or data/mnist.npz)")
    parser.add_argument("--val-size", type=float, default=0.1, help="fraction of training images held out for validation")
    parser.add_argument("--limit", type=int, default=None, help="train on only the first N training images (quick runs)")
    parser.add_argument("--patience", type=int, default=6, help="epochs without validation improvement before stopping")
    return parser.parse_args(argv)


def split(x: np.ndarray, y: np.ndarray, val_size: float, seed: int):
    """A seeded, stratification-free random split of the training set into train and validation."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, int(round(len(x) * val_size)))
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, augment: bool) -> tf.data.Dataset:
    """Shuffled, batched, optionally augmented float images for `fit`."""
    ds = tf.data.Dataset.from_tensor_slices((to_model_input(x), y.astype(np.int32)))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if augment:
        ds = ds.map(augmenter(seed), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def train(args: argparse.Namespace) -> dict:
    """Run one training and write the model and its history; return the history record."""
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()  # same seed, same figures (a little slower)
    (x_all, y_all), _ = load_mnist(args.data)
    if args.limit:
        x_all, y_all = x_all[: args.limit], y_all[: args.limit]
    (x_train, y_train), (x_val, y_val) = split(x_all, y_all, args.val_size, args.seed)
    train_ds = make_dataset(x_train, y_train, args.batch_size, args.seed, args.augment)
    val_ds = tf.data.Dataset.from_tensor_slices((to_model_input(x_val), y_val.astype(np.int32))).batch(512)

    model = BUILDERS[args.model]()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary(print_fn=lambda line, **_: print(line))
    print(f"train {len(x_train)} / validation {len(x_val)} images, augmentation {'on' if args.augment else 'off'}")

    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        best_weights = Path(tmp) / "best.weights.h5"
        callbacks = [
            keras.callbacks.ModelCheckpoint(best_weights, monitor="val_loss", save_best_only=True, save_weights_only=True),
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5, verbose=1),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=args.patience, verbose=1),
        ]
        start = time.perf_counter()
        history = model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks,
                            shuffle=False, verbose=1)  # the dataset reshuffles itself every epoch
        wall_time = time.perf_counter() - start
        # A fresh, uncompiled model holding the best weights: saved without optimizer state.
        best = BUILDERS[args.model]()
        best.load_weights(best_weights)

    model_path = args.output / f"{args.model}.keras"
    best.save(model_path)
    curves = {name: [float(v) for v in values] for name, values in history.history.items()}
    best_epoch = int(np.argmin(curves["val_loss"])) + 1
    record = {
        "model": args.model,
        "epochs_run": len(curves["loss"]),
        "best_epoch": best_epoch,
        "best_val_accuracy": curves["val_accuracy"][best_epoch - 1],
        "train_wall_time_s": round(wall_time, 1),
        "train_images": len(x_train),
        "val_images": len(x_val),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "history": curves,
    }
    (args.output / f"{args.model}_history.json").write_text(json.dumps(record, indent=2))
    print(f"best epoch {best_epoch}/{record['epochs_run']}: validation accuracy {record['best_val_accuracy']:.4f}")
    print(f"training wall time: {wall_time:.1f} s ({wall_time / 60:.1f} min)")
    print(f"saved {model_path}")
    return record


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        train(args)
    except DataUnavailableError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
