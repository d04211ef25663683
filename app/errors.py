"""The JSON error body every /api/ answer uses, shared by the API, the authentication hook and
the rate limiter (so none of them imports the API package to refuse a request).

    {"status": 422, "code": "unprocessable_entity", "message": "...", "errors": {...}, "details": {...}}
"""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def error_response(status: int, code: str, message: str, details: object = None, *,
                   errors: object = None) -> Response:
    """`errors` and `details` appear only when there is something to say."""
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if errors:
        body["errors"] = errors
    if details:
        body["details"] = details
    resp = jsonify(body)
    resp.status_code = status
    return resp
