"""Fixtures for tests of the page in Chromium: the browser, and the app in a desktop or phone tab.

Import the fixtures a test module uses from here (`from tests.browser_tabs import browser, ...`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser import CHROMIUM_ARGS, ConsoleLog, install_chromium, wait_for_state

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "has_touch": True, "is_mobile": True}


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's Chromium, installed with apt when missing (in CI a failed install fails)."""
    path, why_not = install_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(why_not)
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
