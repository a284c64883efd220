"""Preprocessing: any drawing of a digit becomes nearly the same MNIST-style 28x28 image."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from PIL import Image

import recognition
from model_training import canvas
from model_training.canvas import Style
from recognition import decode, errors, mnist_recipe


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two 28x28 images, lightly blurred so a sub-pixel offset barely counts."""
    a, b = (cv2.GaussianBlur(im.astype(np.float64), (5, 5), 1.0).ravel() for im in (a, b))
    return float(np.corrcoef(a, b)[0, 1])


VARIANTS = {
    "shifted": Style(center=(0.25, 0.3), size=0.4),
    "small": Style(size=0.12, pen=0.012),
    "large": Style(size=0.85, pen=0.07),
    "thin": Style(pen=0.008),
    "thick": Style(pen=0.11),
    "transparent": Style(look="transparent"),
    "dark": Style(look="dark"),
    "phone": Style(canvas=1170, pen=0.05),
    "tiny canvas": Style(canvas=140),
}


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4, 7, 8, 11, 18, 61])  # digits 7 2 1 0 4 9 5 6 3 8
def test_one_digit_drawn_every_way_gives_nearly_the_same_image(mnist, index):
    _, (x_test, y_test) = mnist
    paths = canvas.pen_paths(x_test[index])
    reference = recognition.preprocess(canvas.to_png(canvas.render(paths, Style())))
    for name, style in VARIANTS.items():
        processed = recognition.preprocess(canvas.to_png(canvas.render(paths, style)))
        assert similarity(processed, reference) > 0.8, f"digit {y_test[index]} drawn {name}"


def test_output_looks_like_mnist(mnist):
    """Ink box of at most 20x20, centre of mass in the middle, white ink on black."""
    _, (x_test, _) = mnist
    for digit in x_test[:50]:
        out = recognition.preprocess(canvas.draw_digit(digit, Style(center=(0.7, 0.3), size=0.3, pen=0.04)))
        assert out.dtype == np.uint8 and out.shape == (28, 28)
        rows, cols = np.flatnonzero(out.any(axis=1)), np.flatnonzero(out.any(axis=0))
        assert rows[-1] - rows[0] < 22 and cols[-1] - cols[0] < 22
        total = out.sum()
        cy = (out.sum(axis=1) * np.arange(28)).sum() / total
        cx = (out.sum(axis=0) * np.arange(28)).sum() / total
        assert abs(cy - 14) < 1 and abs(cx - 14) < 1
        assert out.max() > 200 and out[0].max() == 0 and out[:, 0].max() == 0


def test_mnist_digits_pass_through_almost_unchanged(mnist):
    _, (x_test, _) = mnist
    scores = [similarity(mnist_recipe.to_mnist(digit / 255.0), digit) for digit in x_test[:200]]
    assert np.median(scores) > 0.9


def test_stroke_ratio_matches_mnist(mnist):
    """The target pen width is MNIST's own median, re-measured here."""
    (x_train, _), _ = mnist
    ratios = []
    for digit in x_train[:2000]:
        ink = digit.astype(np.float32) / 255.0
        top, bottom, left, right = mnist_recipe.bounding_box(ink > mnist_recipe.INK_THRESHOLD)
        fitted = mnist_recipe._fit(ink[top:bottom, left:right], mnist_recipe.WORK)
        ratios.append(mnist_recipe.stroke_width(fitted > mnist_recipe.INK_THRESHOLD) / mnist_recipe.WORK)
    assert np.median(ratios) == pytest.approx(mnist_recipe.MNIST_STROKE_RATIO, rel=0.05)


def test_stroke_width_of_a_known_bar():
    bar = np.zeros((100, 100), bool)
    bar[20:80, 45:55] = True  # 60 long, 10 wide
    assert mnist_recipe.stroke_width(bar) == pytest.approx(2 * 600 / 140, rel=0.15)  # 2 x area / outline


def test_stray_dot_is_ignored(mnist):
    _, (x_test, _) = mnist
    rgba = canvas.render(canvas.pen_paths(x_test[0]), Style(center=(0.55, 0.55), size=0.5))
    clean = recognition.preprocess(canvas.to_png(rgba))
    rgba[5:9, 5:9] = (0, 0, 0, 255)  # a small speck far from the digit
    assert similarity(recognition.preprocess(canvas.to_png(rgba)), clean) > 0.95


def test_data_url_and_bare_base64_decode_alike(mnist):
    _, (x_test, _) = mnist
    png = canvas.draw_digit(x_test[0], Style())
    b64 = base64.b64encode(png).decode()
    assert decode.decode_base64_image("data:image/png;base64," + b64) == png
    assert decode.decode_base64_image(b64) == png
    assert decode.decode_base64_image(b64[:40] + "\n" + b64[40:]) == png


@pytest.mark.parametrize("text", ["", "   ", "data:text/html;base64,PGI+", "data:image/png,abc", "@@@@", "data:;base64,AAAA"])
def test_bad_base64_input_is_an_input_error(text):
    with pytest.raises(errors.InputError):
        decode.decode_base64_image(text)


def test_image_files_in_other_formats_decode_alike(mnist):
    _, (x_test, _) = mnist
    rgba = canvas.render(canvas.pen_paths(x_test[0]), Style())
    reference = recognition.preprocess(canvas.to_png(rgba))
    white = Image.fromarray(rgba).convert("RGB")
    for fmt in ("JPEG", "WEBP", "BMP", "GIF"):
        buffer = io.BytesIO()
        white.save(buffer, fmt)
        assert similarity(recognition.preprocess(buffer.getvalue()), reference) > 0.9, fmt


@pytest.mark.parametrize("image", [np.zeros((50, 50, 4), np.uint8), np.full((50, 50, 4), 255, np.uint8),
                                   np.full((50, 50, 4), (30, 30, 30, 255), np.uint8)])
def test_blank_canvases_are_empty(image):
    with pytest.raises(errors.EmptyDrawingError):
        recognition.preprocess(canvas.to_png(image))
