"""Train the sequence model that reads a whole written number: a small CNN over the line, CTC loss.

    python -m model_training.train_sequence [--epochs 10] [--numbers 40000] [--resume]

The network slides over the number as `line_recipe.to_line` makes it and gives, every STRIDE
columns, the odds of each digit, of "a mark that is no digit" or of "no new mark here" (CTC's blank); the number is the
frames' best classes with repeats and blanks removed (`recognition.sequence`). Each epoch trains
on a fresh draw of written numbers (`sequence_data`) that depends only on the seed and the epoch,
so `--resume` continues from the last checkpoint (weights, optimizer, epoch, early-stopping state)
to the same figures as an uninterrupted run. Validation numbers are made from the digits the
digit model's training held out. Writes `<output>/sequence.keras` and a log in `<output>/logs/`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from model_training.data import load_mnist, split  # noqa: E402
from model_training.sequence_data import batches, make_lines, nondigit_images, strokes, traced  # noqa: E402
from model_training.train import Tee, checkpoint, keep_best, learning_rate, reseed  # noqa: E402
from recognition.line_recipe import LINE_HEIGHT  # noqa: E402
from recognition.sequence import BLANK, best_path, label_text  # noqa: E402

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "build" / "sequence"


def build() -> keras.Model:
    """Four conv blocks take the line to a quarter of its width, then 1-D convolutions read the frames."""
    inputs = keras.Input((LINE_HEIGHT, None, 1), name="line")
    x = inputs
    for filters, pool in ((16, (2, 2)), (32, (2, 2)), (64, (2, 1)), (96, (2, 1))):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D(pool)(x)
    x = layers.Conv2D(128, (LINE_HEIGHT // 16, 1), activation="relu")(x)  # the remaining rows into one frame
    x = layers.Reshape((-1, 128))(x)
    for _ in range(2):
        x = layers.Conv1D(128, 5, padding="same", activation="relu")(x)
        x = layers.Dropout(0.2)(x)
    logits = layers.Dense(BLANK + 1, name="logits")(x)
    return keras.Model(inputs, logits, name="sequence")


def accuracy(model: keras.Model, lines: list[np.ndarray], texts: list[str]) -> float:
    """Share of numbers whose best path reads exactly right."""
    right = 0
    for x, y, lengths in batches(lines, texts, 256):
        logits = model(x, training=False).numpy()
        for row in range(len(x)):
            read = best_path(logits[row])
            right += read == label_text(y[row, :lengths[row]])
    return right / len(texts)


def train(args: argparse.Namespace) -> None:
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()  # same seed, same figures
    (x_all, y_all), _ = load_mnist(args.data)
    (x_train, y_train), (x_val, y_val) = split(x_all, y_all, 0.1, 42)
    if args.limit:
        x_train, y_train, x_val, y_val = x_train[:args.limit], y_train[:args.limit], x_val[:args.limit], y_val[:args.limit]
    train_paths = traced(x_train, args.output / "paths-train.pkl")
    val_paths = traced(x_val, args.output / "paths-validation.pkl")
    marks = strokes(traced(nondigit_images(x_train, y_train, args.nondigits, args.seed),
                           args.output / f"paths-nondigits-{args.seed}.pkl"))  # the seed draws the marks
    val_marks = strokes(traced(nondigit_images(x_val, y_val, args.nondigits // 10, args.seed + 1),
                               args.output / f"paths-nondigits-validation-{args.seed}.pkl"))
    val_lines, val_texts = make_lines(val_paths, y_val, val_marks, args.val_numbers,
                                      np.random.default_rng([args.seed, 10**6]))

    folder = args.output / "checkpoints"
    state_file = folder / "state.json"
    state = json.loads(state_file.read_text()) if args.resume and state_file.exists() else None
    if state:
        model = keras.models.load_model(folder / "last.keras")
        print(f"resuming after epoch {state['epoch']} of {args.epochs}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
        model = build()
        model.compile(optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=5.0))
        state = {"epoch": 0, "best": None, "best_epoch": 0, "wait": 0, "wall_time_s": 0.0, "history": []}
        model.summary(print_fn=lambda line, **_: print(line))
    optimizer = model.optimizer

    @tf.function(input_signature=[tf.TensorSpec([None, LINE_HEIGHT, None, 1], tf.float32),
                                  tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32)])
    def step(x, y, lengths):  # one graph for every batch shape: the same sums in a resumed run
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            frames = tf.fill([tf.shape(x)[0]], tf.shape(logits)[1])
            loss = tf.reduce_mean(keras.ops.ctc_loss(y, logits, lengths, frames, mask_index=BLANK))
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    while state["epoch"] < args.epochs and state["wait"] < args.patience:
        epoch, start = state["epoch"], time.perf_counter()
        rng = np.random.default_rng([args.seed, epoch])
        lines, texts = make_lines(train_paths, y_train, marks, args.numbers, rng)
        optimizer.learning_rate.assign(learning_rate(epoch, args.epochs, args.learning_rate))
        reseed(model, args.seed * 1000 + epoch)
        losses = [float(step(x, y, n)) for x, y, n in batches(lines, texts, args.batch_size, rng)]
        found = accuracy(model, val_lines, val_texts)
        state["history"].append({"loss": float(np.mean(losses)), "val_number_accuracy": found})
        print(f"epoch {epoch + 1}: loss {np.mean(losses):.4f}, validation numbers read right {found:.2%}, "
              f"{time.perf_counter() - start:.0f} s")
        state["epoch"] = epoch + 1
        keep_best(folder, model, state, "best", found, lower_is_better=False)
        state["wall_time_s"] += time.perf_counter() - start
        checkpoint(folder, model, state)
    best = build()
    best.load_weights(folder / "best.weights.h5")
    best.save(args.output / "sequence.keras")
    (args.output / "sequence_history.json").write_text(json.dumps(state, indent=2))
    print(f"best epoch {state['best_epoch']}: validation numbers {state['best']:.2%}; "
          f"{state['wall_time_s'] / 60:.1f} min; saved {args.output / 'sequence.keras'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--numbers", type=int, default=40000, help="written numbers per epoch")
    parser.add_argument("--val-numbers", type=int, default=2000)
    parser.add_argument("--nondigits", type=int, default=4000, help="marks that are no digit, to write among digits")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3, help="peak of the cosine schedule")
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=None, help="mnist.npz (default: $MNIST_PATH or data/mnist.npz)")
    parser.add_argument("--limit", type=int, default=None, help="write numbers from only the first N digits (quick runs)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    (args.output / "logs").mkdir(parents=True, exist_ok=True)
    with open(args.output / "logs" / "sequence.log", "a") as log, contextlib.redirect_stdout(Tee(sys.stdout, log)):
        print(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} train_sequence {' '.join(argv or sys.argv[1:])}")
        train(args)


if __name__ == "__main__":
    main()
