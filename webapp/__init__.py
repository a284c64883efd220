"""The draw-a-digit web app: an application factory in the style of Flask's tutorial.

    gunicorn -c gunicorn.conf.py "webapp:create_app()"

Each process that calls `create_app` loads the model once; gunicorn calls it in every worker
after the fork, never in the master.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = PROJECT_ROOT / "saved_model" / "cnn.tflite"


def config_from_env() -> dict[str, Any]:
    """Settings read from the environment (DIGITS_MODEL, DIGITS_MAX_BYTES)."""
    return {
        "MODEL_PATH": os.environ.get("DIGITS_MODEL", str(DEFAULT_MODEL)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("DIGITS_MAX_BYTES", 2 * 1024 * 1024)),
    }


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, the model, the page and API blueprints, security headers."""
    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"), template_folder=str(PROJECT_ROOT / "templates"))
    app.config.from_mapping(config_from_env())
    if test_config:
        app.config.from_mapping(test_config)
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]

    from webapp.inference import Classifier

    app.extensions["classifier"] = Classifier(app.config["MODEL_PATH"])

    from webapp import api, errors, pages, security

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    errors.register(app)
    security.register(app)
    return app
