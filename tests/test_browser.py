"""The page in a real browser: digits drawn by mouse and by touch, Clear, Undo, upload and errors.

Debian's Chromium, driven by Playwright, against the app served by `make run` with the shipped
model. Set UPDATE_SCREENSHOTS=1 to refresh the README's screenshots in docs/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from model_training.canvas import Style, draw_digit
from tests.browser import (
    FAILED_RESOURCE,
    Shown,
    bar_problems,
    canvas_box,
    digit_strokes,
    digits_per_class,
    draw_with_mouse,
    draw_with_touch,
    ink,
    line_stroke,
    make_scrollable,
    shown_prediction,
    viewport_position,
    wait_for_state,
)
from tests.browser_tabs import Tab, browser, chromium, desktop, phone  # noqa: F401 (fixtures)
from webapp import PROJECT_ROOT

pytestmark = pytest.mark.browser

DOCS = PROJECT_ROOT / "docs"
PER_CLASS = 3  # digits of each class drawn per device
MIN_RECOGNIZED = 0.9
SCREENSHOT_DIGIT = 7  # the screenshots show a 7


def save_screenshot(page: Page, artifacts: Path, name: str) -> None:
    """Save the top of the page, one viewport tall, to the artifacts (and docs/ when UPDATE_SCREENSHOTS=1)."""
    viewport = page.viewport_size
    assert viewport is not None
    path = artifacts / f"screenshot-{name}.png"
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, **viewport})
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)


def screenshot_digit_first(digits: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """The digits with those of SCREENSHOT_DIGIT first, so the screenshot shows a fresh page."""
    return sorted(digits, key=lambda item: item[0] != SCREENSHOT_DIGIT)


def report_recognition(device: str, results: list[tuple[int, Shown]]) -> None:
    """Print the recognition figure and assert the bar is met, naming the misread digits."""
    wrong = [f"{label}->{shown.digit} ({shown.confidence:.2f})" for label, shown in results if shown.digit != label]
    recognized = len(results) - len(wrong)
    print(f"\n{device}: {recognized}/{len(results)} recognized" + (f", misread {', '.join(wrong)}" if wrong else ""))
    assert recognized >= MIN_RECOGNIZED * len(results), f"{device}: misread digits {wrong}"


def assert_cleared(page: Page) -> None:
    """No ink on the canvas, no prediction, and the empty message on show."""
    assert ink(page)["dark"] == 0, "ink left on the canvas"
    result = page.locator("#result")
    assert result.get_attribute("data-state") == "empty"
    assert result.get_attribute("data-digit") is None
    assert page.locator("#empty-message").is_visible()
    assert page.locator("#answer").is_hidden()


def test_desktop_mouse_recognizes_digits(desktop: Tab, mnist, artifacts: Path) -> None:
    page = desktop.page
    box = canvas_box(page)
    results = []
    for label, digit in screenshot_digit_first(digits_per_class(mnist, PER_CLASS)):
        draw_with_mouse(page, digit_strokes(digit, box))
        shown = shown_prediction(page)
        assert not bar_problems(shown), f"digit {label}: {bar_problems(shown)}"
        if not results:
            save_screenshot(page, artifacts, "desktop")
        results.append((label, shown))
        page.click("#clear")
        assert_cleared(page)
    report_recognition("desktop", results)
    assert not desktop.console.problems()


def test_phone_touch_recognizes_digits_without_scrolling(phone: Tab, mnist, artifacts: Path) -> None:
    page = phone.page
    cdp = phone.context.new_cdp_session(page)
    make_scrollable(page)
    box = canvas_box(page)
    results = []
    for label, digit in screenshot_digit_first(digits_per_class(mnist, PER_CLASS, skip=PER_CLASS)):
        before = viewport_position(page)
        draw_with_touch(cdp, digit_strokes(digit, box))
        assert viewport_position(page) == before, f"the page moved while drawing a {label}"
        shown = shown_prediction(page)
        assert not bar_problems(shown), f"digit {label}: {bar_problems(shown)}"
        if not results:
            save_screenshot(page, artifacts, "phone")
        results.append((label, shown))
        page.tap("#clear")
        assert_cleared(page)
    report_recognition("phone", results)
    assert not phone.console.problems()


def test_clear_empties_canvas_and_result(desktop: Tab, mnist) -> None:
    page = desktop.page
    _, digit = digits_per_class(mnist, 1)[4]
    draw_with_mouse(page, digit_strokes(digit, canvas_box(page)))
    shown_prediction(page)
    assert ink(page)["dark"] > 0
    page.click("#clear")
    assert_cleared(page)
    assert not desktop.console.problems()


def test_undo_removes_last_stroke_and_predicts_again(desktop: Tab, mnist) -> None:
    page = desktop.page
    box = canvas_box(page)
    _, digit = digits_per_class(mnist, 1)[7]
    strokes = digit_strokes(digit, box)
    draw_with_mouse(page, strokes)
    first = shown_prediction(page)
    drawn = ink(page)

    draw_with_mouse(page, [line_stroke(box, (0.1, 0.92), (0.9, 0.92))])
    shown_prediction(page)
    assert ink(page)["url"] != drawn["url"], "the extra stroke left no ink"

    with page.expect_response("**/api/predict") as response:
        page.click("#undo")
    assert response.value.ok
    again = shown_prediction(page)
    assert ink(page) == drawn, "after Undo the canvas differs from before the extra stroke"
    assert (again.digit, again.confidence) == (first.digit, first.confidence)
    assert not bar_problems(again), bar_problems(again)

    for _ in strokes:
        page.click("#undo")
    assert_cleared(page)
    assert not desktop.console.problems()


def test_predict_on_empty_canvas_shows_empty_message(desktop: Tab) -> None:
    page = desktop.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "/api/predict" in request.url else None)
    page.click("#predict")
    assert_cleared(page)
    assert page.locator("#empty-message").inner_text().strip(), "the empty message has no text"
    assert requests == [], "an empty canvas was sent to the server"
    assert not desktop.console.problems()


def test_upload_predicts_image_file(desktop: Tab, mnist, tmp_path: Path) -> None:
    page = desktop.page
    label, digit = digits_per_class(mnist, 1)[2]
    image = tmp_path / f"digit-{label}.png"
    image.write_bytes(draw_digit(digit, Style()))
    page.set_input_files("#upload", str(image))
    shown = shown_prediction(page)
    assert shown.digit == label, f"uploaded {label}, shown {shown.digit} ({shown.confidence:.2f})"
    assert not bar_problems(shown), bar_problems(shown)
    assert (page.locator("#processed").get_attribute("src") or "").startswith("data:image/png")
    assert not desktop.console.problems()


@pytest.mark.parametrize(("status", "content_type", "body", "expected"), [
    (500, "application/json", '{"error": "the model is not available"}', "The model is not available."),
    (502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>", "502"),
], ids=["json-500", "html-502"])
def test_server_error_shows_readable_message(desktop: Tab, mnist, status: int, content_type: str,
                                             body: str, expected: str) -> None:
    page = desktop.page
    page.route("**/api/predict", lambda route: route.fulfill(status=status, content_type=content_type, body=body))
    _, digit = digits_per_class(mnist, 1)[3]
    draw_with_mouse(page, digit_strokes(digit, canvas_box(page)))
    wait_for_state(page, "error")
    error = page.locator("#error")
    assert error.is_visible()
    message = error.inner_text().strip()
    assert expected in message, f"error message {message!r} lacks {expected!r}"
    assert not any(junk in message for junk in ("<", "undefined", "null", "[object")), message
    assert page.locator("#result").get_attribute("data-digit") is None
    assert page.locator("#answer").is_hidden()

    page.unroute("**/api/predict")
    page.click("#predict")
    assert shown_prediction(page).digit in range(10)
    assert error.is_hidden()
    assert not desktop.console.problems(allowed=FAILED_RESOURCE)


def test_a_symbol_is_answered_not_a_digit(desktop: Tab, mnist) -> None:
    """A '#' drawn with the mouse: the page says it is no digit instead of guessing one."""
    page = desktop.page
    box = canvas_box(page)
    hash_sign = [line_stroke(box, (0.38, 0.2), (0.32, 0.8)), line_stroke(box, (0.66, 0.2), (0.6, 0.8)),
                 line_stroke(box, (0.18, 0.4), (0.84, 0.4)), line_stroke(box, (0.16, 0.62), (0.82, 0.62))]
    draw_with_mouse(page, hash_sign)
    shown_prediction(page)
    assert page.locator("#result").get_attribute("data-not-a-digit") == "true"
    assert "doesn't look like a digit" in page.locator("#top-label").inner_text()
    assert page.locator("#top-digit").inner_text().strip() == ""

    page.click("#clear")
    _, digit = digits_per_class(mnist, 1)[3]
    draw_with_mouse(page, digit_strokes(digit, canvas_box(page)))
    shown = shown_prediction(page)
    assert page.locator("#result").get_attribute("data-not-a-digit") == "false"
    assert page.locator("#top-digit").inner_text().strip() == str(shown.digit)
    assert not desktop.console.problems()
