"""The page's "How it decided" panel in Chromium (desktop and phone), and uploads of large photos
scaled down in the browser before they are sent."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from model_training.canvas import Style, draw_digit
from tests.browser import (
    canvas_box,
    digit_strokes,
    digits_per_class,
    draw_with_mouse,
    draw_with_touch,
    shown_prediction,
    wait_for_state,
)
from tests.browser_tabs import Tab, browser, chromium, desktop, phone  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

EXPLAIN_TIMEOUT_MS = 20_000
EXIF_ORIENTATION = 0x0112
ROTATE_90_CW = 6  # EXIF: the stored pixels must turn 90 degrees clockwise to stand upright


def explained(page: Page) -> dict:
    """Wait for the panel's explanation and read what it shows."""
    page.wait_for_selector('#explain[data-state="done"]', state="attached", timeout=EXPLAIN_TIMEOUT_MS)
    return page.evaluate("""() => {
        const panel = document.getElementById('explain');
        const saliency = document.getElementById('saliency');
        return {
            cnn: panel.dataset.cnnDigit, mlp: panel.dataset.mlpDigit,
            cnnText: document.getElementById('cnn-answer').textContent,
            mlpText: document.getElementById('mlp-answer').textContent,
            saliency: saliency.getAttribute('src') || '', saliencyAlt: saliency.alt,
            saliencyShown: saliency.getBoundingClientRect().width > 0,
            layers: [...document.querySelectorAll('#layers figure')].map(figure => ({
                caption: figure.querySelector('figcaption').textContent,
                maps: [...figure.querySelectorAll('img')].map(img => ({alt: img.alt, loaded: img.naturalWidth}))
            })),
        };
    }""")


def assert_explains(shown: dict, digit: int) -> None:
    """The panel explains the answer `digit`: saliency, both models, every block's maps, with text."""
    assert shown["cnn"] == str(digit) and shown["cnnText"].startswith(str(digit))
    assert shown["mlp"] in "0123456789" and shown["mlpText"].strip()
    assert shown["saliency"].startswith("data:image/png") and shown["saliencyShown"]
    assert f"answer {digit}" in shown["saliencyAlt"]
    assert len(shown["layers"]) >= 2
    for layer in shown["layers"]:
        assert len(layer["maps"]) >= 8, layer["caption"]
        assert all(m["alt"].strip() and m["loaded"] > 0 for m in layer["maps"]), layer["caption"]


def test_desktop_panel_explains_each_drawing(desktop: Tab, mnist) -> None:
    page = desktop.page
    assert page.locator("#explain-details").get_attribute("open") is not None, "closed on a desktop"
    digits = digits_per_class(mnist, 1, skip=12)
    for label in (3, 8):
        draw_with_mouse(page, digit_strokes(digits[label][1], canvas_box(page)))
        shown = shown_prediction(page)
        assert_explains(explained(page), shown.digit)
        page.click("#clear")
        wait_for_state(page, "empty")
        assert page.locator("#explain").get_attribute("data-state") == "empty"
        assert page.locator("#explain-body").is_hidden()
    assert not desktop.console.problems()


def test_phone_panel_is_collapsed_and_asks_only_when_opened(phone: Tab, mnist) -> None:
    page = phone.page
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/explain" in request.url else None)
    details = page.locator("#explain-details")
    assert details.get_attribute("open") is None, "open on a phone"
    _, digit = digits_per_class(mnist, 1, skip=12)[6]
    draw_with_touch(phone.context.new_cdp_session(page), digit_strokes(digit, canvas_box(page)))
    shown = shown_prediction(page)
    assert asked == [], "the closed panel asked the server"
    assert page.locator("#explain-body").is_hidden()

    page.locator("#explain-details summary").tap()
    assert_explains(explained(page), shown.digit)
    assert len(asked) == 1
    assert not phone.console.problems()


def upload(page: Page, path: Path) -> bytes:
    """Choose `path` in the page's upload input; the bytes the page sent, as its `digits:answer`
    event tells them (the data URL of the very blob it posted)."""
    page.evaluate("""() => document.addEventListener('digits:answer', e => {
        document.body.dataset.sentImage = e.detail.image;
    }, {once: true})""")
    with page.expect_response("**/api/predict") as response:
        page.set_input_files("#upload", str(path))
    assert response.value.ok
    page.wait_for_selector("body[data-sent-image]", state="attached")
    url = page.locator("body").get_attribute("data-sent-image") or ""
    assert url.startswith("data:image/"), url[:40]
    return base64.b64decode(url.split(",", 1)[1])


def test_large_photo_is_scaled_down_upright_before_upload(desktop: Tab, mnist, tmp_path: Path) -> None:
    page = desktop.page
    label, digit = digits_per_class(mnist, 1, skip=13)[4]
    drawing = Image.open(io.BytesIO(draw_digit(digit, Style(canvas=1800, pen=0.05)))).convert("RGB")
    photo = Image.new("RGB", (2600, 1800), "white")
    photo.paste(drawing, (400, 0))
    stored = photo.transpose(Image.Transpose.ROTATE_90)  # what the camera stored: on its side
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATE_90_CW
    path = tmp_path / "photo.jpg"
    stored.save(path, "JPEG", quality=92, exif=exif)

    sent = Image.open(io.BytesIO(upload(page, path)))
    assert sent.format == "JPEG"
    assert sent.size == (2000, round(1800 * 2000 / 2600)), f"sent {sent.size}: not scaled to 2000 px upright"
    shown = shown_prediction(page)
    assert shown.digit == label, f"photo of a {label} read as {shown.digit}"
    assert not desktop.console.problems()


def test_small_upload_is_sent_as_it_is(desktop: Tab, mnist, tmp_path: Path) -> None:
    page = desktop.page
    _, digit = digits_per_class(mnist, 1, skip=13)[7]
    path = tmp_path / "small.png"
    path.write_bytes(draw_digit(digit, Style()))
    assert upload(page, path) == path.read_bytes()
    assert np.isfinite(shown_prediction(page).confidence)
