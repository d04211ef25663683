"""One Flask app per worker process, created lazily, for the job functions' DB access."""
from __future__ import annotations

from flask import Flask

from app.factory import create_app

_app: Flask | None = None


def get_app() -> Flask:
    global _app
    if _app is None:
        _app = create_app()
    return _app


def set_app(app: Flask) -> None:
    """Used by the worker entry point, which builds the app before forking work horses."""
    global _app
    _app = app
