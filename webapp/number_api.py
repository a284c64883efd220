"""`POST /api/number`: a whole number written in one go, read digit by digit, left to right."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify

from recognition import read_drawing
from recognition.errors import InputError
from recognition.number import DigitReading, read_number
from webapp import metrics
from webapp.api import classifier, read_request, refusal

bp = Blueprint("number_api", __name__)


def digit_json(reading: DigitReading, scale: tuple[float, float]) -> dict:
    """One digit of the answer: best digit, its box in the input's pixels (the read image's box
    times `scale`, for a photo read reduced) and its top guesses."""
    best = reading.answer.predictions[0]
    x, y, w, h = reading.box
    sx, sy = scale
    left, top = round(x * sx), round(y * sy)
    return {
        "digit": best.digit,
        "confidence": round(best.confidence, 6),
        "box": [left, top, max(1, round((x + w) * sx) - left), max(1, round((y + h) * sy) - top)],
        "predictions": [{"digit": p.digit, "confidence": round(p.confidence, 6)} for p in reading.answer.predictions],
        "not_a_digit": reading.answer.not_a_digit,
        "uncertain": reading.answer.uncertain,
    }


@bp.post("/api/number")
def number():
    start = time.perf_counter()
    sequence = current_app.extensions["sequence"]  # None: segmentation alone
    try:
        data, top_k = read_request()
        received = time.perf_counter()
        ink, (width, height) = read_drawing(data)
        decoded = time.perf_counter()
        reading = read_number(classifier(), ink, top_k, sequence)
    except InputError as exc:
        return refusal(exc)
    done = time.perf_counter()
    metrics.observe_stage("decode", decoded - received)
    metrics.observe_stage("read", done - decoded)
    for part in reading.digits:
        metrics.count_answer("number", part.answer.predictions[0].digit, part.answer.not_a_digit, part.answer.uncertain)
    return jsonify(
        number=reading.number,
        digits=[digit_json(d, (width / ink.shape[1], height / ink.shape[0])) for d in reading.digits],
        uncertain=reading.uncertain,
        not_a_digit=any(d.answer.not_a_digit for d in reading.digits),
        size=[int(width), int(height)],
        model=classifier().name,
        sequence_model=sequence.path.name if sequence else None,
        timing_ms={
            "decode": round((decoded - start) * 1000, 3),
            "read": round((done - decoded) * 1000, 3),
            "total": round((done - start) * 1000, 3),
        },
    )
