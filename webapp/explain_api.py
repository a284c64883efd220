"""`POST /api/explain`: the answer of `/api/predict` and how the model reached it.

Same bodies and refusals as `/api/predict`. Beside the answer: an occlusion saliency map of the
28x28 input (brighter = blanking that part lowers the top answer more), each convolution block's
feature maps (one greyscale PNG per channel, each scaled to its own peak) and the MLP baseline's
answer. The models load on the first request of each worker (`recognition.explain`).
"""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

import numpy as np
from flask import Blueprint, current_app, jsonify

from recognition import preprocess
from recognition.classifier import Prediction
from recognition.decode import encode_png
from recognition.errors import InputError
from recognition.explain import Explainer, to_grey
from webapp.api import classifier, read_request, refusal
from webapp.errors import json_error

bp = Blueprint("explain_api", __name__)

FEATURES_FILE = "cnn_features.tflite"
BASELINE_FILE = "mlp.tflite"
_loading = threading.Lock()


def explainer() -> Explainer | None:
    """This app's explainer, loaded on first use from beside the served model; None if missing."""
    app = current_app
    with _loading:
        if "explainer" not in app.extensions:
            served = Path(app.config["MODEL_PATH"])
            features = Path(app.config.get("EXPLAIN_FEATURES", served.with_name(FEATURES_FILE)))
            baseline = Path(app.config.get("EXPLAIN_BASELINE", served.with_name(BASELINE_FILE)))
            found = served.suffix == ".tflite" and features.is_file() and baseline.is_file()
            app.extensions["explainer"] = Explainer(served, features, baseline) if found else None
        return app.extensions["explainer"]


def png_url(image: np.ndarray) -> str:
    """A uint8 grey image as a PNG data URL."""
    return "data:image/png;base64," + base64.b64encode(encode_png(image)).decode("ascii")


def ranked(predictions: list[Prediction]) -> list[dict]:
    return [{"digit": p.digit, "confidence": round(p.confidence, 6)} for p in predictions]


@bp.post("/api/explain")
def explain():
    start = time.perf_counter()
    try:
        data, top_k = read_request()
        digit = preprocess(data)
    except InputError as exc:
        return refusal(exc)
    models = explainer()
    if models is None:
        return json_error("explanations are not available: the feature-map and baseline models are missing", 503)
    prepared = time.perf_counter()
    answer = classifier().answer(digit, top_k)
    saliency, _ = models.saliency(digit, target=answer.predictions[0].digit)
    explained = time.perf_counter()
    layers = [{"name": layer.name, "shape": list(layer.maps.shape),
               "maps": [png_url(to_grey(layer.maps[..., c])) for c in range(layer.maps.shape[-1])]}
              for layer in models.layers(digit)]
    baseline = models.baseline_predictions(digit, top_k)
    done = time.perf_counter()
    return jsonify(
        predictions=ranked(answer.predictions),
        not_a_digit=answer.not_a_digit,
        uncertain=answer.uncertain,
        processed=png_url(digit),
        saliency=png_url(to_grey(saliency)),
        layers=layers,
        baseline={"model": "mlp", "file": models.baseline.path.name, "predictions": ranked(baseline)},
        model=classifier().name,
        timing_ms={
            "preprocess": round((prepared - start) * 1000, 3),
            "saliency": round((explained - prepared) * 1000, 3),
            "layers_and_baseline": round((done - explained) * 1000, 3),
            "total": round((done - start) * 1000, 3),
        },
    )
