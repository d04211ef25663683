"""Marquee: regional marketing assets from key art and a brand kit."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from .config import load_config
from .extensions import db, migrate


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent.parent / "templates"))
    app.config.from_mapping(load_config(config))
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)

    from . import models  # noqa: F401  (register tables on the metadata)

    db.init_app(app)
    from .security import init_security

    init_security(app)  # first: the https redirect and rate limits come before authentication
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))

    from .api import init_api

    init_api(app)

    from .auth import init_auth
    from .web import init_web

    init_auth(app)
    init_web(app)

    from .cli import register_cli

    register_cli(app)
    return app
