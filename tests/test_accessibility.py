"""Accessibility of the page in Chromium: an axe-core audit in every state (empty, answer, panel
open, error, number mode) on desktop and phone, the open panel and the error in dark mode too; a
text alternative for every image; zoom allowed while the canvas keeps the finger; the answer in
view on a phone.

axe-core comes from the pinned `axe-playwright-python` package and is injected by the test,
never served by the app.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.browser import (
    canvas_box,
    digit_strokes,
    digits_per_class,
    draw_with_mouse,
    draw_with_touch,
    shown_prediction,
    viewport_position,
    wait_for_state,
)
from tests.browser_tabs import DESKTOP, PHONE, Tab, browser, chromium  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

AXE = Axe()
BLOCKING = ("serious", "critical")
DEVICES = {"desktop": DESKTOP, "phone": PHONE}
SHORT_PHONES = {"375x667": (375, 667), "360x640": (360, 640)}
EXPLAIN_TIMEOUT_MS = 20_000


def audit(page: Page) -> tuple[list[str], int]:
    """(serious or critical violations, described; the count of all violations) on the page now."""
    violations = AXE.run(page).response["violations"]
    blocking = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in violations if v["impact"] in BLOCKING]
    return blocking, len(violations)


def draw(tab: Tab, strokes: list) -> None:
    """Draw by touch on a touch device, by mouse elsewhere."""
    if tab.context.pages[0].evaluate("navigator.maxTouchPoints") > 0:
        draw_with_touch(tab.context.new_cdp_session(tab.page), strokes)
    else:
        draw_with_mouse(tab.page, strokes)


def open_panel(page: Page) -> None:
    """Open "How it decided" if it is closed, and wait for its explanation."""
    if page.locator("#explain-details").get_attribute("open") is None:
        page.locator("#explain-details summary").click()
    page.wait_for_selector('#explain[data-state="done"]', state="attached", timeout=EXPLAIN_TIMEOUT_MS)


def missing_text_alternatives(page: Page) -> list[str]:
    """Visible images and canvases without a text alternative."""
    return page.evaluate("""() => [...document.querySelectorAll('img, canvas, svg, [role="img"]')]
        .filter(node => node.getClientRects().length > 0)
        .filter(node => !((node.getAttribute('alt') || '').trim() || (node.getAttribute('aria-label') || '').trim()
                          || node.getAttribute('aria-hidden') === 'true'))
        .map(node => node.outerHTML.slice(0, 120))""")


@pytest.mark.parametrize("device", list(DEVICES))
def test_axe_finds_nothing_serious_in_any_state(browser: Browser, server, mnist, device: str) -> None:
    tab = Tab(browser, server.url, DEVICES[device])
    page = tab.page
    digits = digits_per_class(mnist, 1, skip=9)
    found: dict[str, tuple[list[str], int]] = {"empty": audit(page)}

    draw(tab, digit_strokes(digits[4][1], canvas_box(page)))
    shown_prediction(page)
    found["answer"] = audit(page)

    open_panel(page)
    assert not missing_text_alternatives(page), missing_text_alternatives(page)
    found["panel open"] = audit(page)
    page.emulate_media(color_scheme="dark")
    found["panel open, dark"] = audit(page)
    page.emulate_media(color_scheme="light")

    page.route("**/api/predict", lambda route: route.fulfill(
        status=500, content_type="application/json", body='{"error": "the model is not available"}'))
    page.locator("#predict").click()
    wait_for_state(page, "error")
    found["error"] = audit(page)
    page.emulate_media(color_scheme="dark")
    found["error, dark"] = audit(page)
    page.emulate_media(color_scheme="light")
    page.unroute("**/api/predict")

    page.locator("#mode-number").click()
    box = canvas_box(page)
    strokes = []
    for i, (_, digit) in enumerate(digits[1:4]):
        slot = {"x": box["x"] + box["width"] * i / 3, "y": box["y"], "width": box["width"] / 3, "height": box["height"]}
        strokes += digit_strokes(digit, slot, 0.5)
    draw(tab, strokes)
    page.wait_for_selector("#result[data-number]", state="attached")
    found["number mode"] = audit(page)
    page.locator("#mode-digit").click()
    tab.close()

    print(f"\naxe on {device}: " + ", ".join(f"{state} {len(blocking)} serious/critical of {total}"
                                            for state, (blocking, total) in found.items()))
    assert not {state: blocking for state, (blocking, _) in found.items() if blocking}


def test_the_audit_flags_an_image_without_text(browser: Browser, server) -> None:
    """The audit can fail: an image without a text alternative, added to the page, is caught."""
    tab = Tab(browser, server.url, DESKTOP)
    tab.page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = document.querySelector('link[rel="icon"]').href;
        document.querySelector('main').appendChild(img);
    }""")
    blocking, _ = audit(tab.page)
    tab.close()
    assert any(line.startswith("image-alt") for line in blocking), blocking


@pytest.mark.parametrize("size", list(SHORT_PHONES))
def test_phone_shows_the_answer_without_scrolling(browser: Browser, server, mnist, size: str) -> None:
    width, height = SHORT_PHONES[size]
    tab = Tab(browser, server.url, {**PHONE, "viewport": {"width": width, "height": height}})
    page = tab.page
    _, digit = digits_per_class(mnist, 1, skip=10)[3]
    draw(tab, digit_strokes(digit, canvas_box(page)))
    shown_prediction(page)
    assert page.evaluate("window.scrollY") == 0
    answer: dict[str, Any] = page.evaluate("""() => {
        const box = id => document.getElementById(id).getBoundingClientRect();
        return {digit: box('top-digit').bottom, note: box('top-note').bottom, height: window.innerHeight};
    }""")
    tab.close()
    assert max(answer["digit"], answer["note"]) <= answer["height"], f"{size}: the answer ends below the fold: {answer}"


def test_page_zooms_but_the_canvas_keeps_the_finger(browser: Browser, server, mnist) -> None:
    tab = Tab(browser, server.url, PHONE)
    page = tab.page
    viewport = page.locator('meta[name="viewport"]').get_attribute("content") or ""
    assert "user-scalable" not in viewport and "maximum-scale" not in viewport, viewport
    assert page.evaluate("getComputedStyle(document.getElementById('pad')).touchAction") == "none"

    cdp = tab.context.new_cdp_session(page)
    before = viewport_position(page)
    _, digit = digits_per_class(mnist, 1, skip=10)[5]
    draw_with_touch(cdp, digit_strokes(digit, canvas_box(page)))
    assert viewport_position(page) == before, "the page moved or zoomed under the drawing finger"
    shown_prediction(page)

    header = page.locator(".site-header").bounding_box()
    assert header is not None
    centre = {"x": header["x"] + header["width"] / 2, "y": header["y"] + 20, "gestureSourceType": "default"}
    cdp.send("Input.synthesizePinchGesture", {**centre, "scaleFactor": 2.0})
    page.wait_for_function("() => window.visualViewport.scale > 1.5")  # a page with user-scalable=no stays at 1
    tab.close()
