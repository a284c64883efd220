"""Helpers for the browser tests: Chromium set-up, drawing digits by mouse and touch, reading the page."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from playwright.sync_api import CDPSession, ConsoleMessage, Error, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from model_training.canvas import pen_paths

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]
DIGIT_HEIGHT = 0.6  # drawn digit height as a fraction of the canvas height
POINT_STRIDE = 3  # draw every third point of a pen path
RESULT_TIMEOUT_MS = 15_000
FAILED_RESOURCE = "Failed to load resource"  # Chromium's own line for a 4xx/5xx response

Stroke = list[tuple[float, float]]  # page (CSS pixel) coordinates


def install_chromium() -> tuple[str | None, str]:
    """Chromium's path, installing Debian's package with apt when missing; else (None, why not)."""
    found = shutil.which("chromium")
    if found:
        return found, ""
    if shutil.which("apt-get") is None:
        return None, "Chromium is missing and apt-get is not available to install it"
    if os.geteuid() != 0:
        return None, "Chromium is missing; installing it needs root: run `apt-get install -y chromium`"
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                                  env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"`{' '.join(command)}` could not run: {exc}"
        if done.returncode != 0:
            return None, f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr[-1500:]}"
    found = shutil.which("chromium")
    return found, "" if found else "apt-get installed chromium but no `chromium` is on PATH"


def digits_per_class(mnist: Any, per_class: int, skip: int = 0) -> list[tuple[int, np.ndarray]]:
    """(label, image) for `per_class` MNIST test digits of each class, after the first `skip` of each."""
    _, (x_test, y_test) = mnist
    chosen = []
    for label in range(10):
        indices = np.flatnonzero(y_test == label)[skip:skip + per_class]
        chosen += [(label, x_test[i]) for i in indices]
    return chosen


def canvas_box(page: Page) -> dict[str, float]:
    """The canvas's bounding box in page CSS pixels (x, y, width, height)."""
    box = page.locator("canvas").bounding_box()
    assert box is not None, "the canvas is not visible"
    return box


def digit_strokes(digit: np.ndarray, box: dict[str, float], height: float = DIGIT_HEIGHT) -> list[Stroke]:
    """An MNIST digit's pen paths placed in `box`: `height` of its height (less where the digit
    would not fit within 90% of the box's width: a touch outside the canvas scrolls the page),
    centred, subsampled."""
    paths = pen_paths(digit)
    points = np.concatenate(paths)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = min(height * box["height"] / max(high[1] - low[1], 1.0), 0.9 * box["width"] / max(high[0] - low[0], 1.0))
    middle = (low + high) / 2
    centre = np.array([box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    strokes = []
    for path in paths:
        kept = np.concatenate([path[:-1:POINT_STRIDE], path[-1:]])
        strokes.append([(float(x), float(y)) for x, y in (kept - middle) * scale + centre])
    return strokes


def line_stroke(box: dict[str, float], start: tuple[float, float], end: tuple[float, float],
                points: int = 8) -> Stroke:
    """A straight stroke between two points given as fractions of the canvas box."""
    return [(box["x"] + box["width"] * (start[0] + (end[0] - start[0]) * t),
             box["y"] + box["height"] * (start[1] + (end[1] - start[1]) * t))
            for t in np.linspace(0, 1, points)]


def draw_with_mouse(page: Page, strokes: list[Stroke]) -> None:
    """Draw each stroke as a mouse drag through its points."""
    for stroke in strokes:
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(x, y, steps=1)
        page.mouse.up()


def draw_with_touch(cdp: CDPSession, strokes: list[Stroke]) -> None:
    """Draw each stroke as one finger's touchStart, touchMoves and touchEnd sent through CDP."""
    for stroke in strokes:
        x, y = stroke[0]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for x, y in stroke[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def wait_for_state(page: Page, state: str, timeout_ms: int = RESULT_TIMEOUT_MS) -> None:
    """Wait until #result's data-state is `state`; on a timeout, say which state and message it shows."""
    try:
        page.wait_for_selector(f'#result[data-state="{state}"]', state="attached", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        shown = page.locator("#result").get_attribute("data-state")
        message = f": {page.locator('#error').text_content()}" if shown == "error" else ""
        raise AssertionError(f"#result stayed {shown!r}, not {state!r}, for {timeout_ms} ms{message}") from None


@dataclass(frozen=True)
class Shown:
    """The prediction on the page: #result's attributes and the confidence bars."""

    digit: int
    confidence: float
    bars: list[dict[str, float]]  # digit, confidence, fill (rendered width / track width)


def shown_prediction(page: Page) -> Shown:
    """Wait for a finished prediction and read it from #result and #bars."""
    wait_for_state(page, "done")
    found = page.evaluate("""() => {
        const result = document.getElementById('result');
        const bars = [...document.querySelectorAll('#bars > *')].map(bar => {
            const fill = bar.querySelector('.bar-fill');
            const track = fill ? fill.parentElement.getBoundingClientRect().width : 0;
            return {
                digit: Number(bar.dataset.digit),
                confidence: Number(bar.dataset.confidence),
                fill: fill && track ? fill.getBoundingClientRect().width / track : -1,
            };
        });
        return {digit: result.dataset.digit, confidence: result.dataset.confidence, bars};
    }""")
    assert found["digit"] is not None, "#result is done but has no data-digit"
    return Shown(int(found["digit"]), float(found["confidence"]), found["bars"])


def bar_problems(shown: Shown, count: int = 3) -> list[str]:
    """What is wrong with the confidence bars of a prediction (an empty list when nothing)."""
    bars = shown.bars
    problems = []
    if len(bars) != count:
        problems.append(f"{len(bars)} bars, expected {count}")
    if bars and bars[0]["digit"] != shown.digit:
        problems.append(f"top bar is {bars[0]['digit']}, data-digit is {shown.digit}")
    if bars and abs(bars[0]["confidence"] - shown.confidence) > 1e-4:
        problems.append(f"top bar confidence {bars[0]['confidence']} != data-confidence {shown.confidence}")
    confidences = [bar["confidence"] for bar in bars]
    if confidences != sorted(confidences, reverse=True):
        problems.append(f"bars not sorted best first: {confidences}")
    if len({bar["digit"] for bar in bars}) != len(bars):
        problems.append(f"a digit appears twice: {[bar['digit'] for bar in bars]}")
    problems += [f"bar {bar['digit']} is {bar['fill']:.3f} wide for confidence {bar['confidence']:.3f}"
                 for bar in bars if abs(bar["fill"] - bar["confidence"]) > 0.02]
    return problems


def ink(page: Page) -> dict[str, Any]:
    """The canvas contents, read from a copy so the page's canvas sees no extra readbacks.

    `dark` counts dark pixels; `url` is the copy as a PNG data URL, equal for equal pixels.
    """
    return page.evaluate("""() => {
        const canvas = document.querySelector('canvas');
        const copy = document.createElement('canvas');
        copy.width = canvas.width;
        copy.height = canvas.height;
        const context = copy.getContext('2d', {willReadFrequently: true});
        context.drawImage(canvas, 0, 0);
        const data = context.getImageData(0, 0, copy.width, copy.height).data;
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] > 0 && data[i] + data[i + 1] + data[i + 2] < 384) dark += 1;
        }
        return {dark, url: copy.toDataURL('image/png')};
    }""")


def make_scrollable(page: Page, extra: int = 400, scroll_to: int = 40) -> None:
    """Lengthen the page and scroll it a little, so a touch that scrolled it either way would show.

    A phone's browser bars leave less room than the viewport, so there the page scrolls anyway.
    """
    page.evaluate("""([extra, scrollTo]) => {
        const spacer = document.createElement('div');
        spacer.style.height = extra + 'px';
        document.body.appendChild(spacer);
        window.scrollTo(0, scrollTo);
    }""", [extra, scroll_to])
    assert page.evaluate("window.scrollY") == scroll_to, "the page cannot scroll"


def viewport_position(page: Page) -> dict[str, float]:
    """Scroll offsets and the visual viewport's zoom and position."""
    return page.evaluate("""() => ({
        scrollX: window.scrollX, scrollY: window.scrollY,
        scale: window.visualViewport.scale,
        offsetTop: window.visualViewport.offsetTop, offsetLeft: window.visualViewport.offsetLeft,
        pageTop: window.visualViewport.pageTop,
    })""")


@dataclass
class ConsoleLog:
    """Console errors and warnings and uncaught exceptions of one page."""

    lines: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Start collecting from `page`."""
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.lines.append(f"console.{message.type}: {message.text}")

    def _on_page_error(self, error: Error) -> None:
        self.lines.append(f"pageerror: {error}")

    def problems(self, allowed: str | None = None) -> list[str]:
        """The collected lines, less those containing `allowed`."""
        return [line for line in self.lines if allowed is None or allowed not in line]
