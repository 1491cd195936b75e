"""The runtime API's error answers: `{"error": code, "message": text}` with the HTTP status that fits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from flask import Response

# Seconds a client should wait before retrying when the database is unreachable (503).
RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """A refusal the client can act on: HTTP status, a stable code, and a message that says what to do."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def not_found(what: str, fix: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} does not exist; {fix}")


def unprocessable(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The JSON error body every refusal of the API carries."""
    body = json.dumps({"error": code, "message": message})
    response = Response(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def archived(module_id: str, archived_at: datetime) -> ApiError:
    return ApiError(
        410,
        "archived",
        f"module {module_id!r} was archived on {archived_at:%Y-%m-%d}: it is no longer offered "
        "(your progress on it is kept)",
    )
