"""The API described: OpenAPI 3.1 at `GET /api/openapi.json`, and a docs page at `GET /api/docs`.

The description is a checked-in document (webapp/openapi.yaml, validated by the tests and
exercised by Schemathesis against the real server); the page is Swagger UI, vendored under
static/vendor/swagger-ui/, so nothing is fetched from another origin.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify, render_template

bp = Blueprint("openapi", __name__)

DOCUMENT = Path(__file__).with_name("openapi.yaml")


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document, read once per process."""
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@bp.get("/api/openapi.json")
def openapi_json() -> Response:
    """The document as JSON."""
    return jsonify(document())


@bp.get("/api/docs")
def docs() -> str:
    """Swagger UI on the document."""
    return render_template("api_docs.html", title=document()["info"]["title"])
