"""Every API error is JSON: {"error": {"status", "code", "message", "details"}}, never HTML."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services import ServiceError


def error_response(status: int, code: str, message: str, details: object = None):
    body = {"error": {"status": status, "code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    resp = jsonify(body)
    resp.status_code = status
    return resp


class MarqueeApi(Api):
    def init_app(self, app: Flask, *args, **kwargs) -> None:
        super().init_app(app, *args, **kwargs)
        app.register_error_handler(ServiceError, self._service_error)

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith("/api/"):
            return error
        data = getattr(error, "data", None) or {}
        details = data.get("messages") or data.get("errors")
        message = data.get("message") or error.description or error.name
        if error.code in (400, 422) and details:
            message = "invalid input: " + _flatten(details)
        if error.code == 413:
            limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            message = f"the upload is larger than the limit of {limit} MiB"
        if error.code == 400 and "invalid json" in (str(error.description) + str(details)).lower():
            message = "the request body is not valid JSON"
        return error_response(error.code or 500, error.name.lower().replace(" ", "_"), message, details)

    @staticmethod
    def _service_error(exc: ServiceError):
        db.session.rollback()
        code = getattr(exc, "code", None) or {404: "not_found", 409: "conflict",
                                              422: "unprocessable_entity"}.get(exc.status, "bad_request")
        return error_response(exc.status, code, exc.message, exc.details or None)


def _flatten(messages: object, prefix: str = "") -> str:
    """{'json': {'locales': ['Missing data']}} -> "locales: Missing data"."""
    parts: list[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = "" if key in ("json", "form", "files", "query", "headers") else str(key)
            sub = f"{prefix}.{name}" if prefix and name else (name or prefix)
            parts.append(_flatten(value, sub))
    elif isinstance(messages, list):
        text = "; ".join(str(m) if not isinstance(m, (dict, list)) else _flatten(m, prefix) for m in messages)
        parts.append(f"{prefix}: {text}" if prefix else text)
    else:
        parts.append(f"{prefix}: {messages}" if prefix else str(messages))
    return "; ".join(p for p in parts if p)
