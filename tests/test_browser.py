"""The page in a real browser: digits drawn by mouse and by touch, Clear, Undo, upload and errors.

Debian's Chromium, driven by Playwright, against the app served by `make run` with the shipped
model. Set UPDATE_SCREENSHOTS=1 to refresh the README's screenshots in docs/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from model_training.canvas import Style, draw_digit
from tests.browser import (
    CHROMIUM_ARGS,
    FAILED_RESOURCE,
    ConsoleLog,
    Shown,
    bar_problems,
    canvas_box,
    digit_strokes,
    digits_per_class,
    draw_with_mouse,
    draw_with_touch,
    ink,
    install_chromium,
    line_stroke,
    shown_prediction,
    viewport_position,
    wait_for_state,
)
from webapp import PROJECT_ROOT

pytestmark = pytest.mark.browser

DOCS = PROJECT_ROOT / "docs"
PER_CLASS = 3  # digits of each class drawn per device
MIN_RECOGNIZED = 0.9
SCREENSHOT_DIGIT = 7  # the screenshots show the first 7 drawn
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "has_touch": True, "is_mobile": True}


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's Chromium, installed with apt when missing."""
    path, why_not = install_chromium()
    if path is None:
        pytest.skip(why_not)
    return path


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """One headless Chromium for the whole module."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Tab:
    """One page of the app in its own browser context, with its console collected."""

    def __init__(self, browser: Browser, url: str, options: dict[str, Any]):
        self.context: BrowserContext = browser.new_context(reduced_motion="reduce", **options)
        self.page: Page = self.context.new_page()
        self.console = ConsoleLog()
        self.console.watch(self.page)
        self.page.goto(url)
        wait_for_state(self.page, "empty")

    def close(self) -> None:
        """Close the page and its context."""
        self.context.close()


@pytest.fixture()
def desktop(browser: Browser, server) -> Iterator[Tab]:
    """The app on a 1280x800 desktop page."""
    tab = Tab(browser, server.url, DESKTOP)
    yield tab
    tab.close()


@pytest.fixture()
def phone(browser: Browser, server) -> Iterator[Tab]:
    """The app on a 390x844 touch phone page at three device pixels per CSS pixel."""
    tab = Tab(browser, server.url, PHONE)
    yield tab
    tab.close()


def save_screenshot(page: Page, artifacts: Path, name: str) -> None:
    """Save a screenshot to the artifacts, and to docs/ when UPDATE_SCREENSHOTS=1."""
    page.screenshot(path=str(artifacts / f"screenshot-{name}.png"))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(artifacts / f"screenshot-{name}.png", DOCS / f"screenshot-{name}.png")


def report_recognition(device: str, results: list[tuple[int, Shown]]) -> None:
    """Print the recognition figure and assert the bar is met, naming the misread digits."""
    wrong = [f"{label}->{shown.digit} ({shown.confidence:.2f})" for label, shown in results if shown.digit != label]
    recognized = len(results) - len(wrong)
    print(f"\n{device}: {recognized}/{len(results)} recognized")
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
    results, shot = [], False
    for label, digit in digits_per_class(mnist, PER_CLASS):
        draw_with_mouse(page, digit_strokes(digit, box))
        shown = shown_prediction(page)
        assert not bar_problems(shown), f"digit {label}: {bar_problems(shown)}"
        results.append((label, shown))
        if label == SCREENSHOT_DIGIT and not shot:
            save_screenshot(page, artifacts, "desktop")
            shot = True
        page.click("#clear")
        assert_cleared(page)
    report_recognition("desktop", results)
    assert not desktop.console.problems()


def test_phone_touch_recognizes_digits_without_scrolling(phone: Tab, mnist, artifacts: Path) -> None:
    page = phone.page
    cdp = phone.context.new_cdp_session(page)
    box = canvas_box(page)
    results, shot = [], False
    for label, digit in digits_per_class(mnist, PER_CLASS, skip=PER_CLASS):
        before = viewport_position(page)
        draw_with_touch(cdp, digit_strokes(digit, box))
        assert viewport_position(page) == before, f"the page moved while drawing a {label}"
        shown = shown_prediction(page)
        assert not bar_problems(shown), f"digit {label}: {bar_problems(shown)}"
        results.append((label, shown))
        if label == SCREENSHOT_DIGIT and not shot:
            save_screenshot(page, artifacts, "phone")
            shot = True
        page.tap("#clear")
        assert_cleared(page)
    report_recognition("phone", results)
    assert not phone.console.problems()
