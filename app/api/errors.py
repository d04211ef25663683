"""One error shape for the whole API, declared in the OpenAPI spec and returned by every path.

    {"status": 422, "code": "unprocessable_entity", "message": "invalid input: locales: ...",
     "errors": {"json": {"locales": ["..."]}}, "details": {...}}

`status` is the HTTP status, `code` a stable machine name (the HTTP reason, or the rule that
refused the input, e.g. "json_too_deep"), `message` a sentence naming the problem. `errors`
(field messages per location) and `details` (anything else, e.g. the current state on a 409)
are present only when there is something to say. Never HTML, never a traceback.
"""
from __future__ import annotations

from typing import NoReturn

from flask import Flask, current_app, request
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, default_exceptions

from ..errors import error_response
from ..extensions import db
from ..services import ServiceError

#: Response headers of an HTTP error that carry meaning and are kept on the JSON answer.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
SERVICE_CODES = {404: "not_found", 409: "conflict", 422: "unprocessable_entity"}


class ErrorSchema(Schema):
    """The error body (documentation; error_response builds it)."""

    status = fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = fields.String(required=True, metadata={
        "description": "machine name: the HTTP reason (not_found, conflict, unprocessable_entity, ...) or "
                       "the rule that refused the input (json_too_deep, body_too_large, invalid_text, ...)"})
    message = fields.String(required=True, metadata={"description": "what is wrong, naming the rule"})
    errors = fields.Dict(metadata={"description": "field messages per location: {json|query|headers|files: "
                                                  "{field: [message]}}"})
    details = fields.Dict(metadata={"description": "more about the refusal, e.g. the current state on a 409"})


def refuse(status: int, code: str, message: str, errors: dict | None = None) -> NoReturn:
    """Raise an HTTP error that the API answers with this code and message."""
    exc = default_exceptions[status](description=message)
    exc.data = {"code": code, "message": message, "errors": errors}  # type: ignore[attr-defined]
    raise exc


class MarqueeApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Flask, *args, **kwargs) -> None:
        super().init_app(app, *args, **kwargs)
        app.register_error_handler(ServiceError, self._service_error)

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith("/api/"):
            return error
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        code = data.get("code") or error.name.lower().replace(" ", "_")
        message = data.get("message") or error.description or error.name
        if status in (400, 422) and errors and not data.get("code"):
            message = "invalid input: " + _flatten(errors)
            if "invalid json" in message.lower():
                message, code = "the request body is not valid JSON", "invalid_json"
        elif status == 413 and not data.get("code"):
            limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            message, code = f"the upload is larger than the limit of {limit} MiB", "upload_too_large"
        elif status >= 500:
            db.session.rollback()
            message = "internal error; it has been logged"
        resp = error_response(status, code, message, errors=errors)
        for name in KEPT_HEADERS:
            value = dict(error.get_headers()).get(name)
            if value:
                resp.headers[name] = value
        return resp

    @staticmethod
    def _service_error(exc: ServiceError):
        db.session.rollback()
        code = getattr(exc, "code", None) or SERVICE_CODES.get(exc.status, "bad_request")
        return error_response(exc.status, code, exc.message, exc.details or None)


def _flatten(messages: object, prefix: str = "", budget: list[int] | None = None) -> str:
    """{'json': {'locales': ['Missing data']}} -> "locales: Missing data" (at most ~2000 chars)."""
    budget = budget if budget is not None else [2000]
    parts: list[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if budget[0] <= 0:
                parts.append("...")
                break
            name = "" if key in ("json", "form", "files", "query", "headers") else str(key)
            sub = f"{prefix}.{name}" if prefix and name else (name or prefix)
            parts.append(_flatten(value, sub, budget))
    elif isinstance(messages, list):
        text = "; ".join(str(m) if not isinstance(m, (dict, list)) else _flatten(m, prefix, budget) for m in messages)
        parts.append(f"{prefix}: {text}" if prefix else text)
    else:
        parts.append(f"{prefix}: {messages}" if prefix else str(messages))
    out = "; ".join(p for p in parts if p)
    budget[0] -= len(out)
    return out
