"""The shipped model: its figures are real, it clears the bar, and the served export agrees."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from webapp import PROJECT_ROOT
from webapp.inference import Classifier
from webapp.preprocessing import to_model_input

SAVED = PROJECT_ROOT / "saved_model"


@pytest.fixture(scope="module")
def metrics():
    return json.loads((SAVED / "metrics.json").read_text())


@pytest.fixture(scope="module")
def keras_predictions(mnist):
    _, (x_test, _) = mnist
    model = keras.models.load_model(SAVED / "cnn.keras", compile=False)
    return model.predict(to_model_input(x_test), batch_size=1000, verbose=0).argmax(axis=1)


def test_shipped_cnn_matches_metrics_and_clears_99_6(mnist, metrics, keras_predictions):
    _, (_, y_test) = mnist
    accuracy = float((keras_predictions == y_test).mean())
    print(f"\nshipped CNN on the 10,000 MNIST test images: {accuracy:.2%}")
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    assert int((keras_predictions != y_test).sum()) == metrics["test_errors"]
    assert accuracy >= 0.996


def test_metrics_record_the_whole_story(metrics):
    assert metrics["mlp"]["test_accuracy"] < metrics["test_accuracy"]
    assert metrics["epochs_run"] >= metrics["best_epoch"] >= 1 and metrics["train_wall_time_s"] > 0
    assert metrics["test_images"] == 10000 and metrics["val_images"] > 0
    for name in ("confusion_matrix.png", "curves.png", "samples.png", "misclassified.png", "feature_maps.png"):
        assert (SAVED / "report" / name).stat().st_size > 5000


def test_served_litert_model_agrees_with_keras(mnist, keras_predictions):
    """All 10,000 test images through the LiteRT export: within 0.05 points of Keras."""
    _, (x_test, y_test) = mnist
    classifier = Classifier(SAVED / "cnn.tflite")
    served = np.array([classifier.probabilities(digit).argmax() for digit in x_test])
    keras_accuracy = float((keras_predictions == y_test).mean())
    served_accuracy = float((served == y_test).mean())
    print(f"\nLiteRT {served_accuracy:.2%} vs Keras {keras_accuracy:.2%}")
    assert abs(served_accuracy - keras_accuracy) <= 0.0005
    assert (served != keras_predictions).sum() <= 5


def test_shipped_without_optimizer_state():
    from tests.test_training import has_optimizer_state

    assert not has_optimizer_state(SAVED / "cnn.keras")
