"""Fine-tuning on corrections, small: corrections sent to the app, exported by the command, learned
from for one short epoch; the gates keep a model that got worse from replacing the shipped one."""

from __future__ import annotations

import json
import shutil

import numpy as np

from model_training import finetune, unseen_style
from model_training.canvas import Style, draw_digit
from model_training.styles import holes, upscale
from recognition import PROJECT_ROOT
from recognition.classifier import Classifier
from tests.support import data_url
from webapp import create_app


def test_a_fine_tune_that_forgets_mnist_is_refused(mnist, tmp_path):
    (x_train, y_train), _ = mnist
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}"})
    client = app.test_client()
    for i in range(20):
        label = "not_a_digit" if i % 10 == 0 else int(y_train[i])
        response = client.post("/api/corrections", json={"image": data_url(draw_digit(x_train[i], Style())), "label": label})
        assert response.status_code == 201
    export = tmp_path / "corrections.npz"
    assert app.test_cli_runner().invoke(args=["corrections", "export", str(export)]).exit_code == 0

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for name in ("cnn.keras", "cnn.tflite", "cnn.calibration.json"):
        shutil.copy(PROJECT_ROOT / "saved_model" / name, shipped / name)
    before = (shipped / "cnn.tflite").read_bytes()
    output = tmp_path / "out"
    # A learning rate far too high for fine-tuning: MNIST is forgotten, so the gate must refuse.
    code = finetune.main(["--corrections", str(export), "--model", str(shipped / "cnn.keras"), "--output", str(output),
                          "--epochs", "1", "--rehearsal", "256", "--repeat", "1", "--val-limit", "400",
                          "--learning-rate", "0.05", "--install"])
    assert code == 1
    assert (shipped / "cnn.tflite").read_bytes() == before

    report = json.loads((output / "report.json").read_text())
    assert (report["corrections"], report["learned_from"] + report["held_apart"]) == (20, 20)
    assert report["after"]["mnist validation"] < report["before"]["mnist validation"] - 0.1
    assert not report["passed"] and "FAIL" in (output / "report.md").read_text()
    served = Classifier(output / "cnn.tflite")  # the LiteRT export of the fine-tuned model loads and answers
    assert served.classes == 11
    assert np.isclose(served.probabilities(x_train[0]).sum(), 1.0, atol=1e-3)


def test_outlined_digits_are_hollow_and_keep_their_labels(mnist):
    (x_train, y_train), _ = mnist
    x, y = x_train[:600], y_train[:600]
    images, labels = unseen_style.make(x, y, 80, seed=3)
    assert images.shape == (80, 28, 28) and images.dtype == np.uint8
    assert set(labels.tolist()) <= set(y.tolist())

    def looped(batch: np.ndarray) -> float:
        return float(np.mean([holes(upscale(image) > 127) >= 1 for image in batch]))

    # A solid 1 has no loop; its outline is a closed loop around an empty inside.
    assert looped(x[y == 1]) < 0.05 and looped(images[labels == 1]) >= 0.6
    assert looped(images) >= 0.9
