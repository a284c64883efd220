"""Every error is a JSON body with a clear message and the right status, never a stack trace."""

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError


def json_error(message: str, status: int):
    return jsonify(error=message), status


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            return json_error(f"request body too large: the limit is {limit // 1024} KiB", 413)
        response, status = json_error(exc.description or exc.name, exc.code or 500)
        for name, value in exc.get_headers():  # e.g. 405's Allow
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return json_error(InternalServerError.description, 500)
