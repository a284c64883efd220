""""Wrong? Tell it" in a real browser: draw a digit, say what it really is, the database keeps it.

Debian's Chromium, driven by Playwright, against `make run` writing to a SQLite file of its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import create_engine, text

from tests.browser import CHROMIUM_ARGS, canvas_box, digit_strokes, draw_with_mouse, install_chromium, wait_for_state
from tests.support import Server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('corrections') / 'corrections.sqlite3'}"


@pytest.fixture(scope="module")
def collecting_server(database: str) -> Iterator[Server]:
    server = Server(env={"DATABASE_URL": database}, log_name="server-corrections-browser.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path, why_not = install_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(why_not)
        pytest.skip(why_not)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Browser, collecting_server: Server) -> Iterator[Page]:
    context = browser.new_context(reduced_motion="reduce", viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(collecting_server.url)
    wait_for_state(tab, "empty")
    yield tab
    context.close()
    assert not errors, errors


def stored(database: str) -> list:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            if not connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'corrections'")).first():
                return []
            return connection.execute(text("SELECT label, answer, pixels, idempotency_key FROM corrections ORDER BY id")).all()
    finally:
        engine.dispose()


def test_a_person_corrects_an_answer_and_the_database_keeps_it(page: Page, mnist, database: str) -> None:
    _, (x_test, y_test) = mnist
    four = x_test[np.flatnonzero(y_test == 4)[0]]
    correct = page.locator("#correct")
    assert correct.is_hidden()

    draw_with_mouse(page, digit_strokes(four, canvas_box(page)))
    wait_for_state(page, "done")
    shown = int(page.locator("#result").get_attribute("data-digit"))
    assert correct.is_visible()
    assert page.locator("#correct-open").text_content().strip() == "Wrong? Tell it"
    assert page.locator("#correct-choices").is_hidden()
    assert stored(database) == []  # an answer alone keeps nothing

    page.locator("#correct-open").click()
    assert "will be kept to improve the model" in page.locator(".correct-notice").text_content()
    assert page.locator("#correct-choices [data-label]").count() == 11
    page.locator('#correct-choices [data-label="9"]').click()
    page.wait_for_selector('#correct[data-state="thanked"]', timeout=15_000)
    assert "Thank you" in page.locator("#correct-status").text_content()
    assert page.locator("#correct-choices").is_hidden()

    (row,) = stored(database)
    assert (row.label, row.answer) == (9, shown)
    assert np.frombuffer(row.pixels, np.uint8).reshape(28, 28).max() > 0
    assert re.fullmatch(r"[0-9a-f]{32}", row.idempotency_key)  # the page's key for this drawing

    page.locator("#clear").click()
    wait_for_state(page, "empty")
    assert correct.is_hidden()


def test_not_a_digit_is_a_choice_too(page: Page, mnist, database: str) -> None:
    _, (x_test, y_test) = mnist
    before = len(stored(database))
    draw_with_mouse(page, digit_strokes(x_test[np.flatnonzero(y_test == 2)[0]], canvas_box(page)))
    wait_for_state(page, "done")
    page.locator("#correct-open").click()
    page.locator('#correct-choices [data-label="not_a_digit"]').click()
    page.wait_for_selector('#correct[data-state="thanked"]', timeout=15_000)
    rows = stored(database)
    assert len(rows) == before + 1 and rows[-1].label == 10
    assert len({row.idempotency_key for row in rows}) == len(rows)  # each drawing its own key
