"""`POST /api/explain`: its contract, its refusals (those of /api/predict), hostile inputs, and the
deletion test of its saliency map on held-back digits."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from model_training.canvas import Style, draw_digit
from model_training.saliency import GOAL, deletion_test, faithfulness
from recognition import DEFAULT_MODEL
from recognition.explain import Explainer
from tests.support import bad_requests, bomb_png, data_url, held_back_digits
from webapp import create_app

PREDICT_KEYS = {"predictions", "not_a_digit", "uncertain", "processed", "model", "timing_ms"}
DELETION_DIGITS = 100


@pytest.fixture(scope="module")
def explain_app():
    """The app on the shipped models with rate limits off (the tests send many requests)."""
    return create_app({"TESTING": True, "RATE_LIMIT": "off"})


@pytest.fixture()
def explain_client(explain_app):
    return explain_app.test_client()


@pytest.fixture(scope="module")
def explainer() -> Explainer:
    folder = DEFAULT_MODEL.parent
    return Explainer(DEFAULT_MODEL, folder / "cnn_features.tflite", folder / "mlp.tflite")


def grey(url: str) -> np.ndarray:
    """A PNG data URL as a uint8 grey array (failing unless it is a greyscale PNG)."""
    assert url.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert image.format == "PNG" and image.mode == "L", (image.format, image.mode)
    return np.asarray(image)


def canvas_body(digit: np.ndarray, top_k: int = 3) -> dict:
    return {"image": data_url(draw_digit(digit, Style())), "top_k": top_k}


def test_explain_answers_the_contract(explain_client, mnist):
    digits, labels = held_back_digits(mnist, 10, offset=200)
    mlp_right = 0
    for digit, label in zip(digits, labels):
        body = canvas_body(digit, top_k=4)
        response = explain_client.post("/api/explain", json=body)
        assert response.status_code == 200, response.json
        answer = response.json
        predicted = explain_client.post("/api/predict", json=body).json
        assert answer["predictions"] == predicted["predictions"] and len(answer["predictions"]) == 4
        assert answer["processed"] == predicted["processed"]
        assert (answer["not_a_digit"], answer["uncertain"]) == (predicted["not_a_digit"], predicted["uncertain"])

        processed, saliency = grey(answer["processed"]), grey(answer["saliency"])
        assert processed.shape == saliency.shape == (28, 28)
        assert saliency.max() == 255, "the saliency map is not scaled to its peak"
        assert not saliency[processed == 0].any(), "saliency where the model saw no ink: not aligned"

        assert len(answer["layers"]) >= 2
        for layer in answer["layers"]:
            height, width, channels = layer["shape"]
            assert channels == len(layer["maps"]) >= 8, layer["name"]
            maps = np.stack([grey(url) for url in layer["maps"]])
            assert maps.shape == (channels, height, width)
            assert maps.reshape(channels, -1).max(axis=1).max() == 255 and maps.any(axis=(1, 2)).sum() >= 8
        assert [layer["shape"][0] for layer in answer["layers"]] == sorted(
            (layer["shape"][0] for layer in answer["layers"]), reverse=True), "blocks not in order"

        baseline = answer["baseline"]
        assert baseline["model"] == "mlp" and len(baseline["predictions"]) == 4
        confidences = [p["confidence"] for p in baseline["predictions"]]
        assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1 + 1e-5
        mlp_right += baseline["predictions"][0]["digit"] == label
    assert mlp_right >= 8, f"the MLP baseline read {mlp_right} of 10 digits"


def test_explain_reads_a_multipart_upload_like_predict(explain_client, mnist):
    digits, _ = held_back_digits(mnist, 1, offset=300)
    png = draw_digit(digits[0], Style())
    upload = explain_client.post("/api/explain", data={"file": (io.BytesIO(png), "d.png"), "top_k": "2"},
                                 content_type="multipart/form-data")
    assert upload.status_code == 200
    assert upload.json["predictions"] == explain_client.post("/api/predict", json={"image": data_url(png), "top_k": 2}).json["predictions"]


@pytest.mark.parametrize("name", list(bad_requests()))
def test_explain_refuses_what_predict_refuses(explain_client, name):
    status, request = bad_requests()[name]
    response = explain_client.post("/api/explain", **request)
    assert response.status_code == status, (name, response.json)
    assert response.is_json and response.json["error"]
    again = bad_requests()[name][1]
    assert explain_client.post("/api/predict", **again).json == response.json


@pytest.mark.parametrize("send", ["json", "multipart"])
def test_explain_refuses_a_decompression_bomb(explain_client, send):
    bomb = bomb_png()
    if send == "json":
        response = explain_client.post("/api/explain", json={"image": data_url(bomb)})
    else:
        response = explain_client.post("/api/explain", data={"file": (io.BytesIO(bomb), "bomb.png")},
                                       content_type="multipart/form-data")
    assert response.status_code == 400 and "too large" in response.json["error"]


def test_predict_answer_is_unchanged(explain_client, mnist):
    digits, _ = held_back_digits(mnist, 1, offset=400)
    assert set(explain_client.post("/api/predict", json=canvas_body(digits[0])).json) == PREDICT_KEYS


def test_explain_without_its_models_says_so():
    app = create_app({"TESTING": True, "RATE_LIMIT": "off", "EXPLAIN_FEATURES": "/nonexistent/features.tflite"})
    response = app.test_client().post("/api/explain", json=canvas_body(np.eye(28, dtype=np.uint8) * 255))
    assert response.status_code == 503 and "not available" in response.json["error"]


def test_saliency_passes_the_deletion_test(explainer, mnist):
    """Removing the ink the map ranks highest hurts the answer more than as much random ink."""
    digits, _ = held_back_digits(mnist, DELETION_DIGITS)
    share = faithfulness(explainer, digits)
    print(f"\nsaliency faithful on {share:.0%} of {len(digits)} held-back digits")
    assert share >= GOAL


def test_deletion_test_can_fail(explainer, mnist):
    """The same test scores a map ranked backwards, least salient ink first, well below the goal."""
    digits, _ = held_back_digits(mnist, 30)
    rng = np.random.default_rng(0)

    def reversed_saliency(digit, target=None):
        saliency, explained = explainer.saliency(digit)
        return 1 - saliency, explained

    backwards = SimpleNamespace(served=explainer.served, saliency=reversed_saliency)
    passed = [deletion_test(backwards, digit, rng).faithful for digit in digits]
    assert np.mean(passed) < 0.5


def test_exported_explanation_models_match_the_shipped_weights(explainer, mnist):
    """cnn_features.tflite gives the Keras member's block outputs; mlp.tflite reads as mlp.keras."""
    keras = pytest.importorskip("keras")
    from model_training import ensemble
    from model_training.export_explain import block_outputs
    from recognition.mnist_recipe import to_model_input

    folder = DEFAULT_MODEL.parent
    digits, _ = held_back_digits(mnist, 200, offset=500)
    networks = {n.name: n for n in ensemble.members(keras.models.load_model(folder / "cnn.keras", compile=False))}
    probe = keras.Model(networks["member0"].input, block_outputs(networks["member0"]))
    for digit in digits[:5]:
        expected = {name: np.asarray(out)[0] for name, out in probe(to_model_input(digit), training=False).items()}
        for layer in explainer.layers(digit):
            assert np.allclose(layer.maps, expected[layer.name], atol=1e-3 * max(1.0, float(expected[layer.name].max())))
    mlp = keras.models.load_model(folder / "mlp.keras", compile=False)
    served = np.argmax(explainer.baseline(to_model_input(digits)), axis=1)
    assert np.mean(served == np.argmax(mlp.predict(to_model_input(digits), verbose=0), axis=1)) >= 0.99
