"""The OpenAPI 3.1 document: valid, covering every API route, and true of the real server (Schemathesis)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from tests.browser_tabs import browser, chromium  # noqa: F401 (fixtures)
from tests.support import Server
from webapp import PROJECT_ROOT, openapi

pytestmark = pytest.mark.server

MAX_EXAMPLES = 30  # per operation and phase: about 20-30 s on 2 cores
UNDESCRIBED = {"/api/openapi.json", "/api/docs"}  # the description and its page describe the others


def test_the_document_is_valid_openapi_3_1():
    document = openapi.document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_described(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    routes |= {"/healthz", "/metrics"}
    described = set(openapi.document()["paths"])
    assert routes - UNDESCRIBED == described, "describe new routes in webapp/openapi.yaml"
    for path, operations in openapi.document()["paths"].items():
        for method, operation in operations.items():
            methods = {m.lower() for rule in app.url_map.iter_rules() if rule.rule == path for m in rule.methods}
            assert method in methods, f"{method.upper()} {path} is described but not served"
            if path.startswith("/api/"):
                assert "429" in operation["responses"], f"{path}: the rate limit's 429 is not described"


def test_the_docs_page_uses_only_this_origin(client):
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.get_json() == openapi.document()
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert "<script>" not in html and "style=" not in html
    for asset in assets:
        assert asset.startswith("/"), f"{asset}: not from this origin"
        assert client.get(asset).status_code == 200, asset


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """The real server, its corrections in a database of its own, rate limits off."""
    database = tmp_path_factory.mktemp("openapi") / "corrections.db"
    server = Server({"DATABASE_URL": f"sqlite:///{database}", "DIGITS_RATE_LIMIT": "off"}, log_name="openapi-server.log")
    yield server
    server.stop()


def test_the_server_keeps_every_promise_of_the_document(api_server, tmp_path):
    """Schemathesis runs every operation from the document against the real server: examples,
    coverage of each constraint's edges, and fuzzing. No 5xx, every status, header and body as
    described, bad data refused. Seeded, so a run is repeatable; tests/schemathesis.toml says
    which statuses count as accepting an image-shaped string that is no image."""
    command = [str(Path(sys.executable).with_name("st")), "--config-file", str(PROJECT_ROOT / "tests" / "schemathesis.toml"),
               "run", api_server.url + "/api/openapi.json", "--max-examples", str(MAX_EXAMPLES), "--seed", "14",
               "--generation-database", "none", "--no-color", "--workers", "1"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    assert re.search(r"(\d+) generated, \1 passed", report), report[-2000:]


def test_the_documented_examples_get_their_answers(api_server):
    """The examples in the document are real drawings the model reads: a 7 and the number 42."""
    body = openapi.document()["components"]["requestBodies"]
    for path, request_body, check in (
        ("/api/predict", body["Drawing"], lambda answer: answer["predictions"][0]["digit"] == 7),
        ("/api/number", body["NumberDrawing"], lambda answer: answer["number"] == "42"),
    ):
        example = request_body["content"]["application/json"]["example"]
        request = urllib.request.Request(api_server.url + path, data=json.dumps(example).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert check(json.loads(response.read())), path


@pytest.mark.browser
def test_the_docs_page_renders_every_operation_in_chromium(browser, api_server):
    """Swagger UI runs under the page's CSP: every operation listed, an operation opens, a clean console."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    foreign: list[str] = []
    page.on("request", lambda request: foreign.append(request.url) if not request.url.startswith(api_server.url) else None)
    try:
        page.goto(api_server.url + "/api/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        shown = set(page.locator(".opblock-summary-path").all_inner_texts())
        assert shown == set(openapi.document()["paths"])
        page.locator(".opblock-summary", has_text="/api/predict").first.click()
        page.wait_for_selector(".opblock-body", timeout=10_000)
    finally:
        page.close()
    assert not problems, problems
    assert not [url for url in foreign if not url.startswith("data:")], foreign
