"""The shipped model: its figures are real, it clears the bars, and the served export agrees.

Every figure here is measured again on real data, through the served LiteRT model and the
server's own preprocessing, and must equal what `metrics.json` records.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from model_training import evaluate, robustness
from recognition.classifier import Classifier
from recognition.mnist_recipe import to_model_input
from webapp import PROJECT_ROOT

SAVED = PROJECT_ROOT / "saved_model"
MNIST_FLOOR = 0.997  # MNIST test through the serving path (the goal)
STYLE_FLOOR = 0.97  # every style family on its held-apart set (the goal)
NON_DIGITS_FLAGGED = 0.90
DIGITS_FLAGGED = 0.01


@pytest.fixture(scope="module")
def metrics():
    return json.loads((SAVED / "metrics.json").read_text())


@pytest.fixture(scope="module")
def served():
    return Classifier(SAVED / "cnn.tflite")


@pytest.fixture(scope="module")
def held_apart():
    return robustness.held_apart_set()


@pytest.fixture(scope="module")
def style_table(served, held_apart):
    return robustness.style_table(served, held_apart)


@pytest.fixture(scope="module")
def keras_predictions(mnist):
    _, (x_test, _) = mnist
    model = keras.models.load_model(SAVED / "cnn.keras", compile=False)
    return model.predict(to_model_input(x_test), batch_size=1000, verbose=0)[:, :10].argmax(axis=1)


def test_shipped_cnn_matches_metrics(mnist, metrics, keras_predictions):
    _, (_, y_test) = mnist
    accuracy = float((keras_predictions == y_test).mean())
    print(f"\nshipped CNN (Keras) on the 10,000 MNIST test images: {accuracy:.2%}")
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    assert int((keras_predictions != y_test).sum()) == metrics["test_errors"]


def test_served_model_reads_mnist_test_through_the_serving_path(mnist, metrics, served):
    """All 10,000 test digits, each sent as its own 28x28 PNG through the server's preprocessing."""
    _, (x_test, y_test) = mnist
    figures = robustness.mnist_test_served(served, x_test, y_test)
    print(f"\nserved model, MNIST test through the serving path: {figures}")
    assert figures == metrics["served"]["mnist_test"]
    assert figures["accuracy"] >= MNIST_FLOOR


def test_every_style_family_is_read_on_its_held_apart_set(metrics, style_table):
    table = style_table
    print("\n" + "\n".join(f"{family:<15} {row}" for family, row in table.items()))
    assert table == metrics["served"]["styles"]
    low = {family: row["accuracy"] for family, row in table.items()
           if family != "not_a_digit" and row["accuracy"] < STYLE_FLOOR}
    assert not low, f"families under {STYLE_FLOOR:.0%}: {low}"
    assert table["thick_pen"]["accuracy"] >= table["thin_pen"]["accuracy"] - 0.01


def test_non_digits_are_flagged_and_digits_are_not(mnist, metrics, served, style_table):
    _, (x_test, y_test) = mnist
    flagged = style_table["not_a_digit"]["flagged"]
    drawn = robustness.canvas_test(served, x_test, y_test, metrics["served"]["canvas_test"]["count"])
    print(f"\nheld-apart non-digits flagged: {flagged:.1%}; MNIST test canvases flagged: {drawn['flagged']:.2%}")
    assert drawn == metrics["served"]["canvas_test"]
    assert flagged >= NON_DIGITS_FLAGGED
    assert drawn["flagged"] <= DIGITS_FLAGGED


def test_calibration_was_chosen_and_lowers_the_calibration_error(metrics, served):
    calibration = json.loads((SAVED / "cnn.calibration.json").read_text())
    assert served.calibration.temperature == calibration["temperature"] > 0
    assert 0.5 <= served.calibration.unsure_below <= 0.95 and 0.2 <= served.calibration.reject_above <= 0.95
    assert calibration["validation"]["ece_after"] < 0.02
    assert calibration["validation"]["nll_after"] <= calibration["validation"]["nll_before"]
    assert metrics["served"]["calibration"]["ece"] < 0.03


def test_metrics_record_the_whole_story(metrics):
    assert metrics["mlp"]["test_accuracy"] < metrics["test_accuracy"]
    assert metrics["epochs_run"] >= metrics["best_epoch"] >= 1 and metrics["train_wall_time_s"] > 0
    assert metrics["test_images"] == 10000 and metrics["val_images"] > 0
    for name in evaluate.REPORT_FILES + evaluate.SERVED_REPORT_FILES:
        assert (SAVED / "report" / name).stat().st_size > 5000


def test_served_litert_model_agrees_with_keras(mnist, served, keras_predictions):
    """All 10,000 test images through the LiteRT export: within 0.05 points of Keras."""
    _, (x_test, y_test) = mnist
    predicted = np.array([served.raw_probabilities(digit)[:10].argmax() for digit in x_test])
    keras_accuracy = float((keras_predictions == y_test).mean())
    served_accuracy = float((predicted == y_test).mean())
    print(f"\nLiteRT {served_accuracy:.2%} vs Keras {keras_accuracy:.2%}")
    assert abs(served_accuracy - keras_accuracy) <= 0.0005
    assert (predicted != keras_predictions).sum() <= 5


def test_shipped_without_optimizer_state():
    from tests.test_training import has_optimizer_state

    assert not has_optimizer_state(SAVED / "cnn.keras")
