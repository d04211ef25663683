"""JSON request bodies, read once and checked before any schema sees them.

webargs parses bodies with the stdlib json module, which recurses once per `[` (100,000 of them
raise RecursionError), turns `1e999` into infinity and keeps lone surrogates. Every API body is
read here instead: at most MAX_JSON_BYTES (413), nested at most MAX_DEPTH deep (422), finite
numbers only, strings and keys valid UTF-8 without NUL (422). Each refusal names its rule.
"""
from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

import flask
import flask_smorest
from flask import current_app
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ..schemas.validation import text_problem
from .errors import refuse

MAX_DEPTH = 32
DEFAULT_MAX_JSON_BYTES = 1024 * 1024
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: one step per run, not per character
_BRACKET = re.compile(r"[\[\]{}]")
#: A lone surrogate or NUL can only arrive as a \u escape (strict UTF-8 and strict JSON refuse the
#: raw forms), so a body without these escapes needs no walk over its strings.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(raw: bytes) -> Any:
    """The parsed body, or an HTTP error naming the broken rule."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        refuse(400, "invalid_json", f"the request body is not valid UTF-8 (byte {exc.start})")
    if nesting(text) > MAX_DEPTH:  # before json.loads, which recurses once per level
        refuse(422, "json_too_deep", f"JSON nested deeper than {MAX_DEPTH} levels (json_depth rule)")
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:  # not reached after nesting(); kept as the last line of defence
        refuse(422, "json_too_deep", f"JSON nested deeper than {MAX_DEPTH} levels (json_depth rule)")
    except ValueError as exc:  # JSONDecodeError, too many digits, NaN, 1e999
        refuse(400, "invalid_json", f"the request body is not valid JSON: {str(exc)[:200]}")
    if _SUSPECT_ESCAPE.search(text):
        _check_strings(value)
    return value


def nesting(text: str) -> int:
    """How deep the brackets outside strings nest (regex passes in C, one step per bracket)."""
    brackets = _BRACKET.findall(_STRING.sub('""', text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


def _check_strings(value: Any) -> None:
    """Every key and string, without recursion; the field's path is named in the refusal."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            _check_string(node, where)
        elif isinstance(node, dict):
            for key, item in node.items():
                _check_string(key, where)
                stack.append((item, f"{where}.{key}"[:120]))
        elif isinstance(node, list):
            stack.extend((item, where) for item in node)


def _check_string(value: str, where: str) -> None:
    problem = text_problem(value)
    if problem:
        field = where.lstrip(".") or "body"
        refuse(422, "invalid_text", f"invalid input: {field}: {problem} (utf8_text rule)",
               errors={"json": {field: [problem]}})


def max_json_bytes() -> int:
    return int(current_app.config.get("MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES))


class SafeParser(FlaskParser):
    """webargs' Flask parser with the body read by parse_body and bounded in size."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        limit = max_json_bytes()
        if req.content_length is not None and req.content_length > limit:
            refuse(413, "body_too_large", _too_large(limit))
        req.max_content_length = limit  # a chunked body is cut off at the limit too
        try:
            raw = req.get_data(cache=True)
        except Exception as exc:  # werkzeug's RequestEntityTooLarge
            if getattr(exc, "code", None) == 413:
                refuse(413, "body_too_large", _too_large(limit))
            raise
        return parse_body(raw)


def _too_large(limit: int) -> str:
    return f"a JSON body may be at most {limit // 1024} KiB (json_body_size rule; key art uploads have their own limit)"


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: arguments are read with SafeParser."""

    ARGUMENTS_PARSER = SafeParser()
