"""A short training run yields a working model, and evaluation writes the whole report."""

from __future__ import annotations

import io
import json
import zipfile

import h5py
import keras
import numpy as np
import pytest

from model_training import evaluate, models, train
from recognition.mnist_recipe import to_model_input
from tests.support import assert_killed_run_resumes


def short_training(model: str, out) -> None:
    """One epoch on the first 4,000 training images, seeded."""
    train.main(["--model", model, "--epochs", "1", "--limit", "4000", "--batch-size", "64",
                "--output", str(out), "--seed", "7"])


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """The CNN and the MLP after a short training run."""
    out = tmp_path_factory.mktemp("short_run")
    for model in ("cnn", "mlp"):
        short_training(model, out)
    return out


def has_optimizer_state(path) -> bool:
    """Whether a Keras 3 model file stores optimizer variables beside the weights."""
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as weights:
        with h5py.File(io.BytesIO(weights.read()), "r") as h5:
            return "optimizer" in h5 and len(h5["optimizer"].get("vars", {})) > 0


def test_short_run_model_loads_and_beats_90_percent(short_run, mnist):
    (x_train, y_train), _ = mnist
    held_back_x, held_back_y = x_train[-2000:], y_train[-2000:]  # never seen by the short run
    model = keras.models.load_model(short_run / "cnn.keras", compile=False)
    assert not has_optimizer_state(short_run / "cnn.keras")
    accuracy = (model.predict(to_model_input(held_back_x), verbose=0)[:, :10].argmax(1) == held_back_y).mean()
    assert accuracy > 0.90
    record = json.loads((short_run / "cnn_history.json").read_text())
    assert record["epochs_run"] == 1 and record["train_images"] == 3600
    assert record["val_images"] > 400 and record["generated_images"] > 1000
    assert (short_run / "logs" / "cnn.log").read_text().count("=== ") >= 1
    assert set(record["history"]) >= {"loss", "val_loss", "accuracy", "val_accuracy"}


def test_same_seed_gives_the_same_figures(short_run, tmp_path):
    short_training("cnn", tmp_path)
    first = json.loads((short_run / "cnn_history.json").read_text())["history"]
    again = json.loads((tmp_path / "cnn_history.json").read_text())["history"]
    assert again == first


RESUME_ARGS = ["--model", "cnn", "--epochs", "3", "--limit", "2000", "--batch-size", "64", "--seed", "11"]


def test_killed_run_resumes_to_the_same_figures(tmp_path):
    """A run killed during its second epoch, resumed with --resume, ends as an uninterrupted run does."""
    assert_killed_run_resumes("model_training.train", RESUME_ARGS, tmp_path, "cnn", "checkpoints/cnn/state.json",
                              "epochs_run", after_s=2)  # well into the second epoch
    assert json.loads((tmp_path / "parts" / "cnn_history.json").read_text())["epochs_run"] == 3


def test_evaluation_writes_every_report_file(short_run):
    result = evaluate.evaluate(short_run, short_run / "report", data=None, drawings=20)
    for name in evaluate.REPORT_FILES:
        path = short_run / "report" / name
        assert path.stat().st_size > 5000, name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((short_run / "metrics.json").read_text())
    assert metrics == json.loads(json.dumps(result))
    assert 0.9 < metrics["test_accuracy"] < 1.0 and metrics["test_images"] == 10000
    assert set(metrics["per_class"]) == {str(d) for d in range(10)}
    assert "served" not in metrics  # no LiteRT export in a bare training folder
    assert 0.5 < metrics["mlp"]["test_accuracy"] < 1.0
    assert metrics["epochs_run"] == 1 and metrics["train_wall_time_s"] > 0
    assert 0.0 <= metrics["drawings"]["accuracy"] <= 1.0


def test_confusion_matrix_counts_pairs():
    cm = evaluate.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), classes=3)
    assert cm.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_warm_start_copies_weights_and_refuses_another_width(short_run):
    """--init copies a same-width CNN's weights; a source of another width is an error, not a fresh start."""
    source = short_run / "cnn.keras"
    same = models.build_cnn(32)
    train.warm_start(same, source)
    trained = keras.models.load_model(source, compile=False)
    for name in ("block1_conv1", "block2_conv2", "dense", "probabilities"):
        for got, want in zip(same.get_layer(name).get_weights(), trained.get_layer(name).get_weights()):
            np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="block1_conv1.*--filters"):
        train.warm_start(models.build_cnn(48), source)
