"""`POST /api/corrections`: a person says what a drawing really is; the database keeps it.

Kept: the 28x28 the model saw, the label, the model's answer and confidence, the model's name
and content hash, the time, and the client's `Idempotency-Key` if it sent one. Never the
client's address, the upload, or any other field.
`DIGITS_COLLECT=off` switches collecting off: the endpoint then answers 403.

A client may send an `Idempotency-Key` header (the page always does): a request retried with the
same key, by the client or by a proxy, is stored once and answered with the first one's id.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from recognition import preprocess
from recognition.classifier import NOT_A_DIGIT
from recognition.errors import InputError
from webapp import metrics
from webapp.api import classifier, parse_top_k, read_image_and_fields, refusal
from webapp.database import Correction, db, ensure_schema
from webapp.errors import json_error

bp = Blueprint("corrections", __name__)

NOT_A_DIGIT_LABEL = "not_a_digit"
LABEL_HELP = 'label must be a digit from 0 to 9 or "not_a_digit"'
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,128}")  # 1 to 128 visible ASCII characters


def collecting(app: Flask) -> bool:
    """Whether this server keeps corrections (`DIGITS_COLLECT`, on unless `off`)."""
    return bool(app.config["DIGITS_COLLECT"])


def parse_label(value: object) -> int:
    """0-9 (a number, or its text from a form) or "not_a_digit" (stored as 10)."""
    if value == NOT_A_DIGIT_LABEL:
        return NOT_A_DIGIT
    if isinstance(value, str) and len(value) == 1 and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        raise InputError(LABEL_HELP)
    return value


def read_correction() -> tuple[bytes, int]:
    """The image bytes and the label, from JSON or a multipart upload, checked as `/api/predict` checks."""
    data, fields = read_image_and_fields()
    parse_top_k(fields.get("top_k"))
    return data, parse_label(fields.get("label"))


def idempotency_key() -> str | None:
    """The request's `Idempotency-Key`, checked, or None when it has none."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InputError(f"{IDEMPOTENCY_HEADER} must be 1 to 128 visible ASCII characters")
    return key


def stored_id(key: str | None) -> int | None:
    """The id of the correction stored earlier under this key, if any."""
    if key is None:
        return None
    return db.session.scalar(select(Correction.id).where(Correction.idempotency_key == key))


def replayed(correction_id: int):
    """The answer to a retry of a correction already stored: the first one's id, marked as a replay."""
    response = jsonify(id=correction_id)
    response.headers["Idempotent-Replayed"] = "true"
    return response, 201


def store(correction: Correction) -> int | None:
    """Add the correction, unless one was stored under its idempotency key: then that one's id."""
    ensure_schema()
    db.session.add(correction)
    try:
        db.session.commit()
    except IntegrityError:  # the key's unique index: a request with the same key was stored first
        db.session.rollback()
        if (earlier := stored_id(correction.idempotency_key)) is None:
            raise
        return earlier
    return None


def model_version(app: Flask) -> str:
    """The served model's file name and the start of its SHA-256, computed once per process."""
    if "model_version" not in app.extensions:
        path = Path(app.config["MODEL_PATH"])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        app.extensions["model_version"] = f"{path.name}@{digest}"
    return app.extensions["model_version"]


@bp.post("/api/corrections")
def create_correction():
    if not collecting(current_app):
        return json_error("this server does not collect corrections (DIGITS_COLLECT=off)", 403)
    try:
        key = idempotency_key()
        data, label = read_correction()
        digit = preprocess(data)
    except InputError as exc:
        return refusal(exc)
    answer = classifier().answer(digit, 1)
    probabilities = classifier().probabilities(digit)
    answered = NOT_A_DIGIT if answer.not_a_digit else answer.predictions[0].digit
    correction = Correction(pixels=digit.tobytes(), label=label, answer=answered,
                            confidence=round(float(probabilities[answered]), 6), model=model_version(current_app),
                            idempotency_key=key)
    try:
        earlier = store(correction)
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("correction not stored: %s", type(exc).__name__)
        response, status = json_error("corrections cannot be stored right now; try again later", 503)
        response.headers["Retry-After"] = "30"
        return response, status
    if earlier is not None:
        return replayed(earlier)
    metrics.count_correction(NOT_A_DIGIT_LABEL if label == NOT_A_DIGIT else label)
    return jsonify(id=correction.id), 201


def register(app: Flask) -> None:
    """The endpoint, on or off with `DIGITS_COLLECT`."""
    app.config.setdefault("DIGITS_COLLECT", os.environ.get("DIGITS_COLLECT", "on").strip().lower() != "off")
    app.register_blueprint(bp)
