"""Whole numbers: `/api/number`, the segmentation behind it and `python -m webapp.predict --number`.

Real drawings, the shipped model and Flask's test client: numbers written from held-back MNIST
test digits (`model_training.numbers`) and digits drawn stroke by stroke.
"""

from __future__ import annotations

import io
import subprocess
import sys

import cv2
import numpy as np
import pytest

from model_training import canvas, numbers
from model_training.canvas import Style
from recognition import read_ink
from tests.support import HASH_SIGN, bad_requests, bomb_png, data_url
from webapp import PROJECT_ROOT, create_app

# Digits as pen strokes in 28x28 space, several made of strokes that do not touch.
ONE = [[[14, 3], [13, 25]]]
ONE_WITH_FOOT = [[[11, 7], [15, 3], [14, 22]], [[9, 26], [19, 26]]]
SEVEN = [[[5, 4], [21, 4], [11, 25]]]
SEVEN_WITH_BAR = [[[5, 4], [21, 4], [11, 25]], [[9, 15], [20, 15]]]
FIVE = [[[19, 4], [9, 4]], [[9, 8], [8, 13], [14, 12], [19, 15], [19, 20], [15, 24], [8, 23]]]
FOUR = [[[9, 3], [6, 16], [21, 16]], [[17, 9], [17, 26]]]
TWO_WITH_TAIL_APART = [[[7, 8], [12, 4], [18, 6], [18, 12], [8, 25], [16, 25]], [[19, 25], [25, 23]]]
DOT = [[[14, 24], [14.4, 24.2]]]
DASH = [[[9, 15], [19, 15]]]


def write(digits: list[list[list[list[float]]]], gap: float = 8, pen: float = 0.012, side: int = 800) -> bytes:
    """Digits given as strokes, written left to right `gap` units apart, as a PNG."""
    paths, x = [], 0.0
    for strokes in digits:
        arrays = [np.array(s, float) for s in strokes]
        left = min(a[:, 0].min() for a in arrays)
        right = max(a[:, 0].max() for a in arrays)
        paths += [a + [x - left, 0] for a in arrays]
        x += right - left + gap
    return canvas.to_png(canvas.render(paths, Style(canvas=side, size=0.9, pen=pen)))


def post_number(client, png: bytes, **extra):
    return client.post("/api/number", json={"image": data_url(png), **extra})


def components(png: bytes) -> int:
    """How many separate marks a drawing holds."""
    ink = read_ink(png)
    return cv2.connectedComponents((ink > 90).astype(np.uint8), connectivity=8)[0] - 1


@pytest.fixture(scope="module")
def rng() -> np.random.Generator:
    return np.random.default_rng(2026)


def test_answer_has_the_documented_shape(client, mnist, rng):
    written = numbers.make_numbers(mnist, "spaced", 1, rng, (4, 4), numbers.PAGE_HEIGHT)[0]
    response = post_number(client, written.png, top_k=4)
    assert response.status_code == 200, response.json
    body = response.json
    width, height = body["size"]
    assert (height, width) == read_ink(written.png).shape
    assert body["number"] == "".join(str(d["digit"]) for d in body["digits"])
    assert body["model"] == "cnn.tflite" and isinstance(body["uncertain"], bool) and body["not_a_digit"] is False
    assert body["sequence_model"] == "sequence.tflite"
    assert set(body["timing_ms"]) == {"decode", "read", "total"}
    lefts = [d["box"][0] for d in body["digits"]]
    assert lefts == sorted(lefts), "digits are not left to right"
    for d in body["digits"]:
        x, y, w, h = d["box"]
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= width and y + h <= height
        confidences = [p["confidence"] for p in d["predictions"]]
        assert len(confidences) == 4 and confidences == sorted(confidences, reverse=True)
        assert d["predictions"][0] == {"digit": d["digit"], "confidence": d["confidence"]}
        assert d["not_a_digit"] is False and isinstance(d["uncertain"], bool)


def test_the_page_sends_numbers_as_high_as_the_benchmark_writes_them():
    script = (PROJECT_ROOT / "static" / "app.js").read_text()
    assert f"var NUMBER_EXPORT_SIZE = {numbers.PAGE_HEIGHT};" in script
    assert f"var NUMBER_MIN_HEIGHT = {numbers.PAGE_MIN_HEIGHT};" in script


@pytest.mark.parametrize("kind, minimum", [("spaced", 0.85), ("tight", 0.8), ("touching", 0.7)])
def test_written_numbers_are_read(client, mnist, rng, kind, minimum):
    """Held-back test digits written as numbers of 2 to 6 digits, through the test client."""
    written = numbers.make_numbers(mnist, kind, 40, rng)
    read = [post_number(client, w.png).json["number"] for w in written]
    wrong = [(w.text, r) for w, r in zip(written, read) if w.text != r]
    accuracy = 1 - len(wrong) / len(written)
    print(f"\n{kind}: {accuracy:.0%} of {len(written)} numbers read whole")
    assert accuracy >= minimum, wrong


def test_segmentation_alone_reads_numbers_without_the_sequence_model(mnist, rng):
    """A server configured without the sequence model still reads numbers, by segmentation alone."""
    client = create_app({"TESTING": True, "SEQUENCE_MODEL_PATH": ""}).test_client()
    written = numbers.make_numbers(mnist, "spaced", 10, rng, (3, 4))
    answers = [post_number(client, w.png).json for w in written]
    assert all(a["sequence_model"] is None for a in answers)
    assert sum(a["number"] == w.text for a, w in zip(answers, written)) >= 7


def test_multipart_upload_and_top_k(client, mnist, rng):
    written = numbers.make_numbers(mnist, "spaced", 1, rng, (3, 3))[0]
    response = client.post("/api/number", data={"file": (io.BytesIO(written.png), "n.png"), "top_k": "2"},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert all(len(d["predictions"]) == 2 for d in response.json["digits"])
    assert len(response.json["digits"]) == 3


def test_digits_of_strokes_that_do_not_touch_are_kept_whole(client):
    png = write([FIVE, FOUR, SEVEN_WITH_BAR, ONE_WITH_FOOT])
    assert components(png) >= 6, "the test drawing should have separate strokes"
    response = post_number(client, png)
    assert response.status_code == 200
    assert response.json["number"] == "5471", response.json


@pytest.mark.parametrize("strokes, text", [([ONE, SEVEN], "17"), ([SEVEN, ONE], "71"), ([ONE, ONE], "11"),
                                           ([SEVEN, SEVEN, ONE], "771")])
def test_ones_beside_sevens(client, strokes, text):
    for gap in (4, 12):
        response = post_number(client, write(strokes, gap=gap))
        assert response.status_code == 200 and response.json["number"] == text, (gap, response.json)


def test_a_fragment_apart_from_its_digit_is_kept_with_it(client):
    """The end of a 2's base lifted and drawn a little apart is part of the 2, not a digit of its own."""
    png = write([TWO_WITH_TAIL_APART, SEVEN])
    assert components(png) == 3, "the test drawing should have the tail apart"
    response = post_number(client, png)
    assert response.status_code == 200 and response.json["number"] == "27", response.json


def test_a_dot_between_digits_is_left_out(client):
    png = write([ONE, DOT, SEVEN, DOT, FOUR])
    assert components(png) == 5
    response = post_number(client, png)
    assert response.status_code == 200 and response.json["number"] == "174", response.json


def test_a_dash_between_digits_is_left_out(client):
    """A hyphen, as in a phone number, is a stray stroke, not a digit of the number."""
    response = post_number(client, write([FOUR, ONE, DASH, SEVEN, SEVEN]))
    assert response.status_code == 200 and response.json["number"] == "4177", response.json


def test_a_mark_that_is_no_digit_is_reported_in_its_place(client):
    response = post_number(client, write([ONE, HASH_SIGN, SEVEN], gap=10))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["number"] == "1?7" and body["not_a_digit"] is True, body
    assert [d["not_a_digit"] for d in body["digits"]] == [False, True, False]


def test_a_wide_gap_separates_digits_and_nothing_is_lost(client):
    response = post_number(client, write([ONE, FIVE, SEVEN], gap=40))
    assert response.status_code == 200 and response.json["number"] == "157", response.json


@pytest.mark.parametrize("case", list(bad_requests()))
def test_bad_input_is_refused_as_by_predict(client, case):
    status, request = bad_requests()[case]
    response = client.post("/api/number", **request)
    assert response.status_code == status
    assert response.is_json and isinstance(response.json["error"], str) and response.json["error"]


def hostile_images() -> dict[str, tuple[int, bytes]]:
    """Images /api/predict refuses, with the status it gives."""
    seven = write([SEVEN], side=200)
    return {
        "truncated": (400, seven[: len(seven) // 2]),
        "bomb": (400, bomb_png()),
        "all ink": (422, canvas.to_png(np.full((300, 300, 4), (0, 0, 0, 255), np.uint8))),
        "one pixel": (422, canvas.to_png(np.full((1, 1, 4), 255, np.uint8))),
    }


@pytest.mark.parametrize("case", ["truncated", "bomb", "all ink", "one pixel"])
def test_hostile_images_are_refused_as_by_predict(client, case):
    status, png = hostile_images()[case]
    response = post_number(client, png)
    assert response.status_code == status and response.json["error"]
    predicted = client.post("/api/predict", json={"image": data_url(png)})
    assert predicted.status_code == status and (status == 422 or response.json == predicted.json)


def test_more_than_twenty_digits_are_refused(client):
    response = post_number(client, write([ONE] * 24, gap=10, side=1600))
    assert response.status_code == 422 and "at most 20" in response.json["error"]


@pytest.mark.parametrize("density", [0.5, 0.01])
def test_noise_is_answered_or_refused(client, density):
    """Random dots, dense or sparse: an answer or a 422, never a crash."""
    noise = (np.random.default_rng(1).random((600, 600)) < density).astype(np.uint8) * 255
    rgba = np.dstack([255 - noise] * 3 + [np.full_like(noise, 255)])
    response = post_number(client, canvas.to_png(rgba))
    assert response.status_code in (200, 422) and response.is_json


def test_command_line_prints_each_number_with_confidences(tmp_path, mnist, rng):
    written = numbers.make_numbers(mnist, "spaced", 2, rng, (3, 4))
    paths = []
    for i, w in enumerate(written):
        paths.append(tmp_path / f"number{i}.png")
        paths[-1].write_bytes(w.png)
    (tmp_path / "bad.png").write_text("not an image")
    result = subprocess.run([sys.executable, "-m", "webapp.predict", "--number", *map(str, paths),
                             str(tmp_path / "bad.png")], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3 and lines[2].endswith("bad.png: error: not a readable image")
    for line, path, w in zip(lines, paths, written):
        name, rest = line.split(": ", 1)
        assert name == str(path)
        number, shown = rest.split("  [", 1)
        assert number == w.text
        assert len(shown.split("%)")) == len(w.text) + 1
