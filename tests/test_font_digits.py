"""Handwriting fonts the model never trained on (`model_training.font_digits`): the faces render
every digit as a pen would draw it, and the served model reads them through the server's path."""

from __future__ import annotations

import numpy as np
import pytest

from model_training import font_digits
from recognition import DEFAULT_MODEL, preprocess
from recognition.classifier import Classifier
from recognition.mnist_recipe import stroke_width
from tests.debian import apt_install


@pytest.fixture(scope="module")
def faces() -> dict:
    try:
        return font_digits.faces()
    except FileNotFoundError:
        apt_install(*font_digits.FONT_PACKAGES)
        return font_digits.faces()


def test_every_face_draws_every_digit_as_one_mark_with_a_pen_wide_enough(faces):
    for package, paths in faces.items():
        for face in paths:
            for digit in range(10):
                ink = font_digits.glyph(face, digit)
                assert ink.shape[0] > 40 and ink.shape[1] > 5, (face.name, digit, ink.shape)
                assert stroke_width(ink > 127) >= font_digits.MIN_PEN * ink.shape[0] - 1, (face.name, digit)


def test_a_writers_variation_keeps_the_digit_upright_enough_to_read(faces):
    """`hand` slants and turns the glyph a little: the ink's height stays most of its length."""
    rng = np.random.default_rng(0)
    ink = font_digits.glyph(faces["fonts-humor-sans"][0], 1)
    for _ in range(20):
        varied = font_digits.hand(ink, rng)
        assert 0.8 * ink.shape[0] < varied.shape[0] < 1.2 * ink.shape[0]
        assert varied.shape[1] < varied.shape[0]


def test_the_served_model_reads_handwriting_fonts_it_never_saw(faces):
    """Two samples of every digit in all 30 faces, as canvases through the serving path: at least
    95% read right, at most 2% flagged "not a digit"."""
    found = font_digits.evaluate(Classifier(DEFAULT_MODEL), faces, per_digit=2, seed=7)
    everything = found["rates"]["all"]
    assert everything["count"] == 600
    assert everything["right"] >= 0.95, found["confusions"]
    assert everything["flagged"] <= 0.02, found["confusions"]


def test_a_written_font_digit_is_a_canvas_the_server_reads(faces):
    png = font_digits.written(faces["fonts-comic-neue"][0], 5, np.random.default_rng(3))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    digit = preprocess(png)
    assert digit.shape == (28, 28) and digit.max() == 255
