"""Whole numbers in a real browser: written by mouse on a desktop page and by touch on a phone
page in number mode, read from `#result`'s data-number, each digit's box over its digit.

Debian's Chromium, driven by Playwright, against the app served by `make run` with the shipped models.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from model_training import numbers
from recognition.mnist_recipe import bounding_box
from tests.browser import (
    canvas_box,
    digit_strokes,
    digits_per_class,
    draw_with_mouse,
    draw_with_touch,
    make_scrollable,
    viewport_position,
    wait_for_state,
)
from tests.browser_tabs import Tab, browser, chromium, desktop, phone  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


NUMBERS = ((2, 0, 4), (7, 1, 3), (5, 8, 6, 9))  # written digit by digit, each digit a held-back test digit
HEIGHTS = (0.5, 0.3, 0.5)  # each number's height, a share of the canvas's: the second one written small


def number_strokes(digits: list[Any], box: dict[str, float], height: float = 0.5) -> list[list[list[tuple[float, float]]]]:
    """Several digits' pen paths side by side across the canvas box, one slot each: each digit's strokes."""
    strokes = []
    for i, digit in enumerate(digits):
        slot = {"x": box["x"] + box["width"] * i / len(digits), "y": box["y"],
                "width": box["width"] / len(digits), "height": box["height"]}
        strokes.append(digit_strokes(digit, slot, height))
    return strokes


def write_numbers(tab: Tab, mnist, draw) -> list[tuple[str, str]]:
    """Switch to number mode, write each of NUMBERS with `draw`, and read #result's data-number."""
    page = tab.page
    page.click("#mode-number")
    assert page.locator("#mode-number").get_attribute("aria-pressed") == "true"
    assert "number" in page.locator("#tagline").inner_text()
    pool = dict(digits_per_class(mnist, 1, skip=6))
    read = []
    for number, height in zip(NUMBERS, HEIGHTS):
        box = canvas_box(page)
        assert box["width"] >= 1.8 * box["height"], "the number canvas is not wide"
        written = number_strokes([pool[d] for d in number], box, height)
        draw([stroke for digit in written for stroke in digit])
        wait_for_state(page, "done")
        page.wait_for_selector("#result[data-number]", state="attached")
        read.append(("".join(map(str, number)), page.locator("#result").get_attribute("data-number")))
        assert_boxes_over_digits(page, box, written)
        assert_sent_at_number_size(page, box, written)
        page.click("#clear")
        wait_for_state(page, "empty")
    print(f"\nnumbers written and read: {read}")
    return read


def assert_boxes_over_digits(page, canvas: dict[str, float], written: list[list[list[tuple[float, float]]]]) -> None:
    """The digits' boxes on the page lie over the digits written (the page sends only the ink, so
    boxes must be placed back on the whole canvas): together they span the written strokes (within
    the canvas) give or take the pen's width, and each lies in its digit's slot."""
    boxes = [page.locator("#boxes .digit-box").nth(i).bounding_box() for i in range(page.locator("#boxes .digit-box").count())]
    assert len(boxes) == len(page.locator("#result").get_attribute("data-number"))
    points = np.array([p for digit in written for stroke in digit for p in stroke])
    low = np.maximum(points.min(axis=0), [canvas["x"], canvas["y"]])
    high = np.minimum(points.max(axis=0), [canvas["x"] + canvas["width"], canvas["y"] + canvas["height"]])
    pen = canvas["height"] * page.evaluate("Digits.settings.NUMBER_STROKE_FRACTION") + 2  # the page's margin
    spanned = (min(b["x"] for b in boxes), min(b["y"] for b in boxes),
               max(b["x"] + b["width"] for b in boxes), max(b["y"] + b["height"] for b in boxes))
    assert np.abs(np.array(spanned) - [*low, *high]).max() <= pen, (spanned, low, high)
    if len(boxes) == len(written):
        slot = canvas["width"] / len(written)
        for i, b in enumerate(boxes):
            assert canvas["x"] + i * slot <= b["x"] + b["width"] / 2 <= canvas["x"] + (i + 1) * slot, (i, b)


def assert_sent_at_number_size(page, canvas: dict[str, float], written: list[list[list[tuple[float, float]]]]) -> None:
    """The page sends a number's ink and margin at NUMBER_EXPORT_SIZE pixels to the canvas's height,
    or larger to make it NUMBER_MIN_HEIGHT pixels high, as the benchmark writes them
    (`numbers.PAGE_HEIGHT`, `numbers.PAGE_MIN_HEIGHT`): the PNG is as high as the strokes written
    and the page's margin (the pen's width and 2 CSS pixels beyond each stroke's centre) at that
    scale, and the ink in it as high as the strokes, pen included."""
    drawing = page.evaluate("Digits.pad.exportDrawing(true)")
    image = Image.open(io.BytesIO(base64.b64decode(drawing["image"].split(",", 1)[1]))).convert("L")
    ys = np.array([y for digit in written for stroke in digit for _, y in stroke]) - canvas["y"]
    pen = canvas["height"] * page.evaluate("Digits.settings.NUMBER_STROKE_FRACTION")
    area = min(ys.max() + pen + 2, canvas["height"]) - max(ys.min() - pen - 2, 0)
    scale = max(numbers.PAGE_HEIGHT / canvas["height"], numbers.PAGE_MIN_HEIGHT / area)
    assert abs(image.height - area * scale) <= 2, (image.size, area * scale)
    top, bottom, _, _ = bounding_box(np.asarray(image) < 128)
    assert abs(bottom - top - (ys.max() - ys.min() + pen) * scale) <= 3, (bottom - top, scale)


def test_desktop_mouse_writes_numbers_and_mode_is_remembered(desktop: Tab, mnist) -> None:
    read = write_numbers(desktop, mnist, lambda strokes: draw_with_mouse(desktop.page, strokes))
    assert sum(written == shown for written, shown in read) >= len(NUMBERS) - 1, read
    desktop.page.reload()
    assert desktop.page.locator("#mode-number").get_attribute("aria-pressed") == "true"
    assert "number" in desktop.page.locator("#tagline").inner_text()
    desktop.page.click("#mode-digit")
    assert "digit" in desktop.page.locator("#tagline").inner_text()
    assert not desktop.console.problems()


def test_phone_touch_writes_numbers_without_scrolling(phone: Tab, mnist) -> None:
    page = phone.page
    cdp = phone.context.new_cdp_session(page)
    page.click("#mode-number")
    make_scrollable(page)
    before = viewport_position(page)

    def touch(strokes):
        draw_with_touch(cdp, strokes)
        assert viewport_position(page) == before, "the page moved while writing"

    read = write_numbers(phone, mnist, touch)
    assert sum(written == shown for written, shown in read) >= len(NUMBERS) - 1, read
    assert not phone.console.problems()
