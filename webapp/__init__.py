"""The draw-a-digit web app: an application factory in the style of Flask's tutorial.

    gunicorn -c gunicorn.conf.py "webapp:create_app()"

Each process that calls `create_app` loads the model once; gunicorn calls it in every worker
after the fork, never in the master.
"""

from __future__ import annotations

import io
import os
from typing import IO, Any

from flask import Flask, Request

from recognition import DEFAULT_MODEL, DEFAULT_SEQUENCE_MODEL, PROJECT_ROOT
from recognition.classifier import Classifier
from recognition.sequence import SequenceModel
from webapp import api, errors, number_api, pages, security
from webapp import corrections_api, corrections_cli, database
from webapp import explain_api, limits, metrics, openapi

__all__ = ["PROJECT_ROOT", "create_app"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # a phone photo straight from the camera (3-6 MB JPEG), even as base64 JSON


class InMemoryRequest(Request):
    """A request whose uploads stay in memory: client data is never written to disk.

    Bodies are capped at MAX_CONTENT_LENGTH, so memory use per request is bounded too.
    """

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()


def config_from_env() -> dict[str, Any]:
    """Settings read from the environment (DIGITS_MODEL, DIGITS_SEQUENCE_MODEL, DIGITS_MAX_BYTES)."""
    return {
        "MODEL_PATH": os.environ.get("DIGITS_MODEL", str(DEFAULT_MODEL)),
        "SEQUENCE_MODEL_PATH": os.environ.get("DIGITS_SEQUENCE_MODEL", str(DEFAULT_SEQUENCE_MODEL)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("DIGITS_MAX_BYTES", DEFAULT_MAX_BYTES)),
    }


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, the model, the page and API blueprints, security headers."""
    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"), template_folder=str(PROJECT_ROOT / "templates"))
    app.request_class = InMemoryRequest
    app.config.from_mapping(config_from_env())
    if test_config:
        app.config.from_mapping(test_config)
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]
    app.extensions["classifier"] = Classifier(app.config["MODEL_PATH"])
    sequence_path = app.config["SEQUENCE_MODEL_PATH"]  # empty: numbers are read by segmentation alone
    app.extensions["sequence"] = SequenceModel(sequence_path) if sequence_path else None
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(number_api.bp)
    app.register_blueprint(explain_api.bp)
    database.init_app(app)
    corrections_api.register(app)
    corrections_cli.register(app)
    errors.register(app)
    security.register(app)
    app.register_blueprint(openapi.bp)
    metrics.register(app)  # before the limits, so refused requests are counted and timed too
    limits.register(app)
    return app
