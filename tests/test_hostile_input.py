"""Hostile and odd inputs: each gets a clear 4xx JSON error (or the right answer) in bounded time,
and the app keeps answering correctly afterwards."""

from __future__ import annotations

import io
import json
import tempfile
import time

import numpy as np
import pytest
from PIL import Image

from model_training import canvas
from model_training.canvas import Style
from tests.support import bomb_png, data_url, held_back_digits, over_the_limit

SECONDS = 2.0  # every hostile request is answered within this


@pytest.fixture(scope="module")
def seven(mnist):
    """An MNIST test 7 drawn on a white canvas, as an RGBA array and its label."""
    digits, labels = held_back_digits(mnist, 1)
    return canvas.render(canvas.pen_paths(digits[0]), Style(canvas=200)), int(labels[0])


def png_bytes(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


def post(client, **request):
    start = time.perf_counter()
    response = client.post("/api/predict", **request)
    assert time.perf_counter() - start < SECONDS
    return response


def post_png(client, png: bytes):
    return post(client, json={"image": data_url(png)})


def assert_json_error(response, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.is_json and isinstance(response.json["error"], str) and response.json["error"]
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def still_answers_afterwards(client, seven):
    """After every hostile request, a real digit still gets the right answer."""
    yield
    image, label = seven
    response = post_png(client, canvas.to_png(image))
    assert response.status_code == 200 and response.json["predictions"][0]["digit"] == label


def test_truncated_png(client, seven):
    png = canvas.to_png(seven[0])
    for cut in (8, 30, len(png) // 2, len(png) * 3 // 4):
        assert_json_error(post_png(client, png[:cut]), 400)


def test_corrupt_png(client, seven):
    png = bytearray(canvas.to_png(seven[0]))
    rng = np.random.default_rng(1)
    for _ in range(20):
        broken = bytearray(png)
        for i in rng.integers(40, len(png) - 20, size=8):
            broken[i] ^= 0xFF
        response = post_png(client, bytes(broken))
        assert response.status_code in (200, 400, 422)
        if response.status_code != 200:
            assert_json_error(response, response.status_code)


def test_non_image_bytes_with_an_image_name(client):
    for payload in (b"#!/bin/sh\nrm -rf /\n", b"%PDF-1.4\n", bytes(range(256)) * 10):
        response = post(client, data={"file": (io.BytesIO(payload), "digit.png")}, content_type="multipart/form-data")
        assert_json_error(response, 400)


def test_decompression_bomb(client):
    png = bomb_png()
    assert len(png) < 200_000
    response = post_png(client, png)
    assert_json_error(response, 400)
    assert "too large" in response.json["error"]


@pytest.mark.parametrize("color", [(255, 255, 255, 255), (0, 0, 0, 255), (0, 0, 0, 0), (128, 40, 200, 255)])
def test_one_pixel_images_are_empty(client, color):
    assert_json_error(post_png(client, png_bytes(Image.new("RGBA", (1, 1), color))), 422)


@pytest.mark.parametrize("mode, color", [("L", 0), ("L", 255), ("RGB", (0, 0, 0)), ("RGBA", (0, 0, 0, 255))])
def test_all_ink_images_are_refused(client, mode, color):
    assert_json_error(post_png(client, png_bytes(Image.new(mode, (300, 300), color))), 422)


def label_of(response) -> int:
    assert response.status_code == 200, response.json
    return response.json["predictions"][0]["digit"]


def test_sixteen_bit_grayscale(client, seven):
    image, label = seven
    gray16 = (image[..., 0].astype(np.uint16) * 257)
    png = png_bytes(Image.fromarray(gray16))
    assert Image.open(io.BytesIO(png)).mode.startswith("I")
    assert label_of(post_png(client, png)) == label


def test_palette_with_and_without_transparency(client, seven):
    image, label = seven
    palette = Image.fromarray(image[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    assert label_of(post_png(client, png_bytes(palette))) == label
    transparent = Image.fromarray(image[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    transparent.info["transparency"] = transparent.getpixel((0, 0))
    assert label_of(post_png(client, png_bytes(transparent, transparency=transparent.getpixel((0, 0))))) == label


def test_grayscale_with_alpha(client, seven):
    image, label = seven
    ink = 255 - image[..., 0]
    la = Image.fromarray(np.stack([np.zeros_like(ink), ink], axis=-1), "LA")
    assert label_of(post_png(client, png_bytes(la))) == label


def test_animated_images_use_the_first_frame(client, seven):
    image, label = seven
    first = Image.fromarray(image).convert("RGB")
    second = Image.new("RGB", first.size, "white")
    for fmt in ("GIF", "PNG"):
        buffer = io.BytesIO()
        first.save(buffer, fmt, save_all=True, append_images=[second], duration=100, loop=0)
        assert Image.open(io.BytesIO(buffer.getvalue())).n_frames == 2
        response = post(client, data={"file": (io.BytesIO(buffer.getvalue()), "anim." + fmt.lower())},
                        content_type="multipart/form-data")
        assert label_of(response) == label


def test_cmyk_jpeg(client, seven):
    image, label = seven
    buffer = io.BytesIO()
    Image.fromarray(image).convert("CMYK").save(buffer, "JPEG", quality=95)
    assert Image.open(io.BytesIO(buffer.getvalue())).mode == "CMYK"
    assert label_of(post_png(client, buffer.getvalue())) == label


def test_jpeg_exif_rotation_is_applied(client, seven):
    image, label = seven
    stored = Image.fromarray(image).convert("RGB").rotate(90, expand=True)  # as a sideways camera stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=95, exif=exif)
    assert label_of(post(client, json={"image": data_url(buffer.getvalue(), "image/jpeg")})) == label


@pytest.mark.parametrize("media_type", ["text/html", "application/javascript", "image/svg+xml", "text/plain"])
def test_data_url_with_the_wrong_media_type(client, seven, media_type):
    response = post(client, json={"image": data_url(canvas.to_png(seven[0]), media_type)})
    assert_json_error(response, 400)


def test_svg_is_not_an_accepted_image(client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = post(client, data={"file": (io.BytesIO(svg), "x.png")}, content_type="multipart/form-data")
    assert_json_error(response, 400)


@pytest.mark.parametrize("body", ["[]", '"image"', "42", "null", "true", '[{"image": "x"}]'])
def test_json_that_is_not_an_object(client, body):
    assert_json_error(post(client, data=body, content_type="application/json"), 400)


@pytest.mark.parametrize("depth", [100, 10_000, 500_000])
def test_deeply_nested_json(client, depth):
    body = '{"image": ' + "[" * depth + "]" * depth + "}"
    assert_json_error(post(client, data=body, content_type="application/json"), 400)


def test_extra_fields_are_ignored_and_missing_fields_reported(client, seven):
    image, label = seven
    body = {"image": data_url(canvas.to_png(image)), "extra": {"nested": [1, 2]}, "top_k": 2, "debug": True}
    response = post(client, json=body)
    assert label_of(response) == label and len(response.json["predictions"]) == 2
    for missing in ({}, {"top_k": 3}, {"img": data_url(canvas.to_png(image))}):
        assert_json_error(post(client, json=missing), 400)
    assert_json_error(post(client, json={"image": None}), 400)
    assert_json_error(post(client, json={"image": ["data:image/png;base64,AAAA"]}), 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "image/png",
                                          "application/xml", "application/octet-stream"])
def test_wrong_content_types(client, seven, content_type):
    assert_json_error(post(client, data=canvas.to_png(seven[0]), content_type=content_type), 415)


def test_bodies_over_the_limit(client):
    big = b"{" + b" " * over_the_limit() + b"}"
    assert_json_error(post(client, data=big, content_type="application/json"), 413)


def test_chunked_bodies_over_the_limit(client):
    """No Content-Length: the limit still holds for a body streamed in chunks."""
    big = io.BytesIO(b'{"image": "' + b"A" * over_the_limit() + b'"}')
    response = post(client, input_stream=big, content_type="application/json",
                    headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert_json_error(response, 413)


def test_uploads_never_touch_the_disk(client, seven, monkeypatch):
    """A large multipart upload is parsed in memory: no temporary file is ever opened."""
    def refuse(*args, **kwargs):
        raise AssertionError("client data written to a temporary file")

    for name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    image, label = seven
    png = canvas.to_png(image)
    padded = png + b"\0" * (1_500_000 - len(png))  # bytes after IEND are ignored by decoders
    response = post(client, data={"file": (io.BytesIO(padded), "digit.png")}, content_type="multipart/form-data")
    assert label_of(response) == label


@pytest.mark.parametrize("path", ["/static/../saved_model/cnn.keras", "/static/..%2f..%2fetc/passwd",
                                  "/static/%2e%2e/webapp/__init__.py", "/../../etc/passwd", "/static//etc/passwd"])
def test_nothing_outside_static_can_be_read(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 404 and response.is_json


def test_errors_never_show_a_stack_trace(client, app):
    assert not app.debug
    response = post(client, data=b"\xff\xfe{", content_type="application/json")
    assert_json_error(response, 400)
    assert json.loads(response.get_data()) == {"error": "body is not valid JSON"}
