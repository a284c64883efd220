"""The JSON API: `POST /api/predict` and `GET /healthz`."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from recognition import read_ink
from recognition.classifier import Classifier
from recognition.decode import decode_base64_image, encode_png
from recognition.errors import EmptyDrawingError, InputError, TooManyDigitsError
from recognition.mnist_recipe import to_mnist
from webapp import metrics
from webapp.errors import json_error

bp = Blueprint("api", __name__)

TOP_K_DEFAULT = 3
TOP_K_MAX = 10
UNPROCESSABLE = (EmptyDrawingError, TooManyDigitsError)  # readable images with nothing to answer: 422


def classifier() -> Classifier:
    return current_app.extensions["classifier"]


class UnsupportedMediaType(InputError):
    """The body is neither JSON nor a multipart upload."""


def parse_top_k(value: object) -> int:
    """top_k from JSON (an integer) or a form field (its decimal text), 1 to TOP_K_MAX."""
    if value is None or value == "":
        return TOP_K_DEFAULT
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= TOP_K_MAX:
        raise InputError(f"top_k must be an integer from 1 to {TOP_K_MAX}")
    return value


def read_body() -> bytes:
    """The whole body. A chunked body (no Content-Length) reaching the limit is refused like
    one that declares its length: the server's stream stops at the limit without saying so."""
    data = request.stream.read()
    if len(data) >= current_app.config["MAX_CONTENT_LENGTH"]:
        raise RequestEntityTooLarge()
    return data


def read_image_and_fields() -> tuple[bytes, Mapping[str, Any]]:
    """The image bytes and the other fields, from a JSON body (`image` and the rest) or a multipart
    upload (`file` and the form), checked the same way for every endpoint that takes a drawing."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InputError("multipart upload needs a 'file' field holding an image")
        data = upload.read()
        if not data:
            raise InputError("the uploaded file is empty")
        return data, request.form
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    try:
        body = json.loads(read_body())
    except (ValueError, RecursionError):
        raise InputError("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InputError('body must be a JSON object: {"image": "data:image/png;base64,...", ...}')
    if "image" not in body:
        raise InputError("missing field 'image': a data URL or base64 PNG")
    return decode_base64_image(body["image"]), body


def read_request() -> tuple[bytes, int]:
    """The image bytes and top_k from a JSON body or a multipart upload."""
    data, fields = read_image_and_fields()
    return data, parse_top_k(fields.get("top_k"))


def refusal(exc: InputError):
    """The JSON error and status for an input the API cannot read: 415, 422 or 400."""
    if isinstance(exc, UnsupportedMediaType):
        return json_error("send application/json or multipart/form-data", 415)
    if isinstance(exc, UNPROCESSABLE):
        return json_error(str(exc), 422)
    return json_error(str(exc), 400)


@bp.post("/api/predict")
def predict():
    start = time.perf_counter()
    try:
        data, top_k = read_request()
        received = time.perf_counter()
        ink = read_ink(data)
        decoded = time.perf_counter()
        digit = to_mnist(ink)
    except InputError as exc:
        return refusal(exc)
    prepared = time.perf_counter()
    answer = classifier().answer(digit, top_k)
    done = time.perf_counter()
    metrics.observe_stage("decode", decoded - received)
    metrics.observe_stage("preprocess", prepared - decoded)
    metrics.observe_stage("inference", done - prepared)
    metrics.count_answer("predict", answer.predictions[0].digit, answer.not_a_digit, answer.uncertain)
    return jsonify(
        predictions=[{"digit": p.digit, "confidence": round(p.confidence, 6)} for p in answer.predictions],
        not_a_digit=answer.not_a_digit,
        uncertain=answer.uncertain,
        processed="data:image/png;base64," + base64.b64encode(encode_png(digit)).decode("ascii"),
        model=classifier().name,
        timing_ms={
            "preprocess": round((prepared - start) * 1000, 3),
            "inference": round((done - prepared) * 1000, 3),
            "total": round((done - start) * 1000, 3),
        },
    )


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok", model=classifier().name)
