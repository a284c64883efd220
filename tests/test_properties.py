"""Property-based tests: on arbitrary bytes and arbitrary images, the decoder and the preprocessing
either succeed with a well-formed result or raise the project's own InputError, nothing else."""

from __future__ import annotations

import base64
import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

import recognition
from recognition import decode, errors, mnist_recipe

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_preprocess(data: bytes) -> None:
    try:
        digit = recognition.preprocess(data)
    except errors.InputError:
        return
    assert digit.shape == (28, 28) and digit.dtype == np.uint8 and digit.max() > 0


@PROPERTY_SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data):
    check_preprocess(data)


@PROPERTY_SETTINGS
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"BM"]),
       st.binary(max_size=2048))
def test_arbitrary_bytes_behind_an_image_signature(signature, tail):
    check_preprocess(signature + tail)


MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


@st.composite
def images(draw) -> tuple[np.ndarray, str]:
    mode = draw(st.sampled_from(sorted(MODES)))
    h, w = draw(st.integers(1, 64)), draw(st.integers(1, 64))
    shape = (h, w) if MODES[mode] == 1 else (h, w, MODES[mode])
    return draw(arrays(np.uint8, shape)), mode


@PROPERTY_SETTINGS
@given(images(), st.sampled_from(["PNG", "BMP", "GIF", "JPEG", "WEBP"]))
def test_arbitrary_images_in_any_format(image, fmt):
    pixels, mode = image
    picture = Image.fromarray(pixels, mode)
    if fmt in ("JPEG", "BMP") and mode in ("LA", "RGBA"):
        picture = picture.convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, fmt)
    check_preprocess(buffer.getvalue())


@PROPERTY_SETTINGS
@given(st.one_of(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 40)),
                        elements=st.floats(allow_nan=True, allow_infinity=True)),
                 arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40)))))
def test_arbitrary_ink_maps(ink):
    try:
        digit = mnist_recipe.to_mnist(ink)
    except errors.InputError:
        return
    assert digit.shape == (28, 28) and digit.dtype == np.uint8


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_as_base64(text):
    try:
        data = decode.decode_base64_image(text)
    except errors.InputError:
        return
    assert isinstance(data, bytes) and data


@PROPERTY_SETTINGS
@given(st.binary(min_size=1, max_size=1024), st.sampled_from(["image/png", "image/jpeg", "text/plain", "", "image/"]))
def test_arbitrary_data_urls(payload, media_type):
    url = f"data:{media_type};base64," + base64.b64encode(payload).decode()
    try:
        data = decode.decode_base64_image(url)
    except errors.InputError:
        return
    assert data == payload
    check_preprocess(data)
