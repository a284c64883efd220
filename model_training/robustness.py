"""The served model beyond MNIST test: styles, "not a digit", calibration, and the serving path.

Everything here runs the served LiteRT model through the server's own preprocessing and
answer (`Classifier.answer`), so the figures are what a user of the API gets:

- MNIST test, each test digit sent as its own 28x28 PNG;
- MNIST test digits redrawn as canvases: accuracy and how many are wrongly flagged;
- a held-apart style set (validation-split digits, a random stream no training or selection
  draws from): accuracy per style family, and the share of non-digits flagged;
- calibration: expected calibration error and a reliability diagram on that set.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from model_training import canvas, synth  # noqa: E402
from model_training.calibrate import expected_calibration_error, reliability_bins, validation_digits  # noqa: E402
from model_training.styles import FAMILIES  # noqa: E402
from recognition import preprocess  # noqa: E402
from recognition.classifier import NOT_A_DIGIT, Classifier  # noqa: E402
from recognition.decode import encode_png  # noqa: E402

# 2,000 of each family: a family read right 97.5% of the time then measures within about 0.7 points
# (95%), where 500 left 1.4 and a fresh draw could put it on either side of the 97% goal.
EVAL_COUNTS = {**{name: 2000 for name in FAMILIES}, "canvas": 4000, "thick_pen": 2000, "thin_pen": 2000,
               "not_a_digit": 4000}


def held_apart_set(seed: int = 42, data: Path | None = None, scale: float = 1.0) -> synth.Synth:
    """Style variants, canvases and non-digits from validation-split digits, from a random stream of their own."""
    _, x_val, y_val = validation_digits(seed, data=data)
    counts = {k: max(10, int(v * scale)) for k, v in EVAL_COUNTS.items()}
    return synth.cached(x_val, y_val, counts, seed, stream="held_apart")


def answers(classifier: Classifier, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top digit, its calibrated confidence and the rejection flag for each 28x28 image."""
    out = [classifier.answer(image, 1) for image in images]
    return (np.array([a.predictions[0].digit for a in out]), np.array([a.predictions[0].confidence for a in out]),
            np.array([a.not_a_digit for a in out]))


def style_table(classifier: Classifier, held: synth.Synth) -> dict:
    """Per family: digits read right (and not rejected), or for non-digits the share flagged."""
    digit, _, rejected = answers(classifier, held.x)
    table = {}
    for family in sorted(set(held.family.tolist())):
        inside = held.family == family
        if family == "not_a_digit":
            table[family] = {"count": int(inside.sum()), "flagged": round(float(rejected[inside].mean()), 4)}
        else:
            right = (digit[inside] == held.y[inside]) & ~rejected[inside]
            table[family] = {"count": int(inside.sum()), "accuracy": round(float(right.mean()), 4),
                             "flagged": round(float(rejected[inside].mean()), 4)}
    return table


def calibration_figures(classifier: Classifier, held: synth.Synth, diagram: Path | None = None) -> dict:
    """ECE of the answer a user sees (a digit, or "not a digit") and, optionally, its diagram."""
    probs = np.stack([classifier.probabilities(image) for image in held.x])
    predicted, confidence = probs.argmax(axis=1), probs.max(axis=1)
    correct = predicted == held.y
    if diagram is not None:
        plot_reliability(confidence, correct, diagram)
    return {"ece": round(expected_calibration_error(confidence, correct), 4), "images": int(len(held))}


def mnist_test_served(classifier: Classifier, x: np.ndarray, y: np.ndarray) -> dict:
    """Each MNIST test digit as its own PNG through the serving path."""
    digits = np.stack([preprocess(encode_png(image)) for image in x])
    digit, _, rejected = answers(classifier, digits)
    return {"images": int(len(y)), "accuracy": round(float((digit == y).mean()), 4),
            "accuracy_not_flagged": round(float(((digit == y) & ~rejected).mean()), 4),
            "flagged": round(float(rejected.mean()), 4), "errors": int((digit != y).sum())}


def canvas_test(classifier: Classifier, x: np.ndarray, y: np.ndarray, count: int = 2000, seed: int = 0) -> dict:
    """MNIST test digits redrawn as random canvases: read right, and wrongly flagged as no digit."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(x), size=count, replace=False)
    digits = np.stack([preprocess(canvas.draw_digit(x[i], canvas.random_style(rng))) for i in picks])
    digit, _, rejected = answers(classifier, digits)
    return {"count": count, "accuracy": round(float(((digit == y[picks]) & ~rejected).mean()), 4),
            "flagged": round(float(rejected.mean()), 4)}


def plot_reliability(confidence: np.ndarray, correct: np.ndarray, path: Path, bins: int = 15) -> None:
    mids, accs, counts = zip(*reliability_bins(confidence, correct, bins))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot(mids, accs, "o-", label="served model")
    for m, a, c in zip(mids, accs, counts):
        ax.annotate(str(c), (m, a), fontsize=6, textcoords="offset points", xytext=(3, -9))
    ax.set(xlabel="confidence shown", ylabel="share right", xlim=(0, 1), ylim=(0, 1),
           title="Reliability on the held-apart style set")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_styles(held: synth.Synth, path: Path, per_family: int = 12) -> None:
    """A grid of samples of every generated family, so a reader can check each keeps its label."""
    families = sorted(set(held.family.tolist()))
    fig, axes = plt.subplots(len(families), per_family, figsize=(per_family * 0.8, len(families) * 0.95),
                             squeeze=False)
    for row, family in enumerate(families):
        picks = np.flatnonzero(held.family == family)[:per_family]
        for col, ax in enumerate(axes[row]):
            ax.axis("off")
            if col < len(picks):
                ax.imshow(held.x[picks[col]], cmap="gray_r")
        label = "not a digit" if held.y[picks[0]] == NOT_A_DIGIT else f"label {held.y[picks[0]]}"
        axes[row, 0].set_title(f"{family} ({label})", fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
