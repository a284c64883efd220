"""Evaluate the trained models on the MNIST test set and write the report.

    python -m model_training.evaluate [--models saved_model] [--report saved_model/report]

Figures go to `<models>/metrics.json`: test accuracy and loss, per-class precision and recall,
the MLP's accuracy beside the CNN's, epochs run and training wall time, and the accuracy on
MNIST test digits redrawn as canvas drawings and sent through the serving preprocessing.
Images go to the report folder: confusion matrix, training curves, sample predictions,
misclassified digits and the convolution layers' feature maps.

When the folder holds the served LiteRT export (`cnn.tflite`), the served model is measured too
(`robustness.py`): MNIST test through the serving path, canvases, the per-style table, the
"not a digit" rates and calibration, with a grid of the generated styles and a reliability
diagram in the report.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from model_training import canvas, ensemble, robustness  # noqa: E402
from model_training.data import DataUnavailableError, load_mnist  # noqa: E402
from recognition import preprocess  # noqa: E402
from recognition.mnist_recipe import to_model_input  # noqa: E402

SAVED_MODEL = Path(__file__).resolve().parent.parent / "saved_model"
REPORT_FILES = ("confusion_matrix.png", "curves.png", "samples.png", "misclassified.png", "feature_maps.png")
SERVED_REPORT_FILES = ("styles.png", "reliability.png")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts of (true, predicted) pairs: rows are true labels."""
    return np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)


def test_metrics(model: keras.Model, x: np.ndarray, y: np.ndarray) -> tuple[dict, np.ndarray]:
    """Accuracy, loss, per-class precision and recall on (x, y); also the probabilities."""
    probs = model.predict(to_model_input(x), batch_size=500, verbose=0)
    pred = probs[:, :10].argmax(axis=1)  # the digit answer, whatever the "not a digit" class says
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0))))
    cm = confusion_matrix(y, pred)
    precision = np.diag(cm) / np.maximum(cm.sum(axis=0), 1)
    recall = np.diag(cm) / np.maximum(cm.sum(axis=1), 1)
    return {
        "test_accuracy": float((pred == y).mean()),
        "test_loss": loss,
        "test_errors": int((pred != y).sum()),
        "per_class": {str(d): {"precision": round(float(precision[d]), 4), "recall": round(float(recall[d]), 4)}
                      for d in range(10)},
    }, probs


def drawing_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> float:
    """Accuracy on `count` test digits redrawn as random canvas drawings, through `preprocess`."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(x), size=count, replace=False)
    digits = np.stack([preprocess(canvas.draw_digit(x[i], canvas.random_style(rng))) for i in picks])
    pred = model.predict(to_model_input(digits), batch_size=500, verbose=0)[:, :10].argmax(axis=1)
    return float((pred == y[picks]).mean())


def plot_confusion(cm: np.ndarray, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    shown = np.where(np.eye(10, dtype=bool), 0, cm)  # colour the errors; the diagonal is printed
    image = ax.imshow(shown, cmap="Reds")
    for i in range(10):
        for j in range(10):
            if cm[i, j]:
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7,
                        color="black" if i != j else "tab:blue", fontweight="bold" if i == j else None)
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title="Confusion matrix, MNIST test set (errors shaded)")
    fig.colorbar(image, ax=ax, label="errors")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(histories: dict[str, dict], path: Path) -> None:
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for name, record in histories.items():
        h = record["history"]
        epochs = range(1, len(h["loss"]) + 1)
        for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            line, = ax.plot(epochs, h[key], "--", label=f"{name} train")
            ax.plot(epochs, h[f"val_{key}"], color=line.get_color(), label=f"{name} validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy", ylim=(0.95, 1.0))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if histories:
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_grid(images: np.ndarray, titles: list[str], colors: list[str], path: Path, title: str) -> None:
    cols = 10
    rows = max(1, int(np.ceil(len(images) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, text, color in zip(axes.flat, images, titles, colors):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(text, fontsize=8, color=color)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_feature_maps(model: keras.Model, digit: np.ndarray, path: Path) -> None:
    """The activations of each convolution layer for one digit, up to 16 channels a layer."""
    model = ensemble.members(model)[0]  # of an ensemble, its first network
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    probe = keras.Model(model.input, [layer.output for layer in convs])
    maps = probe(to_model_input(digit), training=False)
    maps = maps if isinstance(maps, list) else [maps]
    fig, axes = plt.subplots(len(convs), 17, figsize=(17 * 0.9, len(convs) * 1.0), squeeze=False)
    for row, (layer, fmap) in enumerate(zip(convs, maps)):
        fmap = np.asarray(fmap)[0]
        axes[row, 0].imshow(digit, cmap="gray_r")
        axes[row, 0].set_title(layer.name, fontsize=7)
        for k in range(16):
            axes[row, k + 1].imshow(fmap[..., k], cmap="viridis")
        for ax in axes[row]:
            ax.axis("off")
    fig.suptitle("Feature maps of the convolution layers (first 16 channels)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def served_figures(model: Path, report_dir: Path, data: Path | None, x_test: np.ndarray, y_test: np.ndarray,
                   drawings: int, held_scale: float = 1.0) -> dict:
    """The served model's figures (see `robustness.py`) and their two report images."""
    from recognition.classifier import Classifier

    classifier = Classifier(model)
    held = robustness.held_apart_set(data=data, scale=held_scale)
    robustness.plot_styles(held, report_dir / "styles.png")
    figures = {
        "model": model.name,
        "calibration": {"temperature": classifier.calibration.temperature,
                        "unsure_below": classifier.calibration.unsure_below,
                        "reject_above": classifier.calibration.reject_above,
                        **robustness.calibration_figures(classifier, held, report_dir / "reliability.png")},
        "mnist_test": robustness.mnist_test_served(classifier, x_test, y_test),
        "styles": robustness.style_table(classifier, held),
    }
    if drawings:
        figures["canvas_test"] = robustness.canvas_test(classifier, x_test, y_test, drawings)
    return figures


def evaluate(models_dir: Path, report_dir: Path, data: Path | None, drawings: int) -> dict:
    """Evaluate `cnn.keras` (and `mlp.keras` if present) and write the metrics and the report."""
    _, (x_test, y_test) = load_mnist(data)
    y_test = y_test.astype(np.int64)
    report_dir.mkdir(parents=True, exist_ok=True)

    cnn = keras.models.load_model(models_dir / "cnn.keras", compile=False)
    metrics, probs = test_metrics(cnn, x_test, y_test)
    pred = probs[:, :10].argmax(axis=1)
    histories = {}
    for name in ("cnn", "mlp"):
        history_path = models_dir / f"{name}_history.json"
        if history_path.exists():
            histories[name] = json.loads(history_path.read_text())
    result = {"model": "cnn.keras", "test_images": len(y_test), **metrics}
    if "cnn" in histories:
        h = histories["cnn"]
        result.update(epochs_run=h["epochs_run"], best_epoch=h["best_epoch"],
                      train_wall_time_s=h["train_wall_time_s"], best_val_accuracy=h["best_val_accuracy"],
                      train_images=h["train_images"], val_images=h["val_images"])
    if drawings:
        result["drawings"] = {"count": drawings, "accuracy": drawing_accuracy(cnn, x_test, y_test, drawings)}
    if (models_dir / "mlp.keras").exists():
        mlp = keras.models.load_model(models_dir / "mlp.keras", compile=False)
        mlp_metrics, _ = test_metrics(mlp, x_test, y_test)
        result["mlp"] = {"test_accuracy": mlp_metrics["test_accuracy"], "test_loss": mlp_metrics["test_loss"]}
        if "mlp" in histories:
            result["mlp"].update(epochs_run=histories["mlp"]["epochs_run"],
                                 train_wall_time_s=histories["mlp"]["train_wall_time_s"])

    plot_confusion(confusion_matrix(y_test, pred), report_dir / "confusion_matrix.png")
    plot_curves(histories, report_dir / "curves.png")
    sample = np.arange(40)
    plot_grid(x_test[sample], [f"{pred[i]} ({probs[i].max():.0%})" for i in sample],
              ["black" if pred[i] == y_test[i] else "red" for i in sample],
              report_dir / "samples.png", "Sample test predictions (predicted, confidence)")
    wrong = np.flatnonzero(pred != y_test)[:100]
    plot_grid(x_test[wrong], [f"true {y_test[i]} / {pred[i]}" for i in wrong], ["red"] * len(wrong),
              report_dir / "misclassified.png", f"Misclassified test digits: {metrics['test_errors']}"
              " of 10,000 (true / predicted)")
    plot_feature_maps(cnn, x_test[0], report_dir / "feature_maps.png")
    if (models_dir / "cnn.tflite").exists():
        result["served"] = served_figures(models_dir / "cnn.tflite", report_dir, data, x_test, y_test, drawings)

    (models_dir / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the trained models and write the report.")
    parser.add_argument("--models", type=Path, default=SAVED_MODEL, help="folder with cnn.keras (and mlp.keras)")
    parser.add_argument("--report", type=Path, default=None, help="default: <models>/report")
    parser.add_argument("--data", type=Path, default=None, help="mnist.npz (default: $MNIST_PATH or data/mnist.npz)")
    parser.add_argument("--drawings", type=int, default=2000, help="test digits redrawn as canvases (0: skip)")
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.models, args.report or args.models / "report", args.data, args.drawings)
    except DataUnavailableError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"CNN test accuracy: {result['test_accuracy']:.4%} ({result['test_errors']} errors), "
          f"loss {result['test_loss']:.4f}")
    if "drawings" in result:
        print(f"CNN on {result['drawings']['count']} canvas drawings: {result['drawings']['accuracy']:.2%}")
    if "mlp" in result:
        print(f"MLP test accuracy: {result['mlp']['test_accuracy']:.4%}")
    if "served" in result:
        served = result["served"]
        print(f"served {served['model']}: MNIST test through the serving path {served['mnist_test']['accuracy']:.2%}"
              f" ({served['mnist_test']['errors']} errors, {served['mnist_test']['flagged']:.2%} flagged not a digit)")
        if "canvas_test" in served:
            print(f"  MNIST test as canvases: {served['canvas_test']['accuracy']:.2%} right, "
                  f"{served['canvas_test']['flagged']:.2%} flagged not a digit")
        print(f"  calibration: T = {served['calibration']['temperature']}, ECE {served['calibration']['ece']:.4f}")
        print("  held-apart styles:")
        for family, row in served["styles"].items():
            figure = f"flagged {row['flagged']:.2%}" if family == "not_a_digit" else f"{row['accuracy']:.2%}"
            print(f"    {family:<15} {row['count']:>5}  {figure}")
    print("per-class precision / recall:")
    for digit, pr in result["per_class"].items():
        print(f"  {digit}: {pr['precision']:.4f} / {pr['recall']:.4f}")
    print(f"wrote {args.models / 'metrics.json'} and the report in {args.report or args.models / 'report'}")


if __name__ == "__main__":
    main()
