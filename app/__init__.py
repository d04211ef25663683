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
    if app.config.get("BLOB_BACKEND", "local") == "local":
        Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)

    from . import models  # noqa: F401  (register tables on the metadata)

    db.init_app(app)
    from .security import init_security

    init_security(app)  # first: the https redirect and rate limits come before authentication
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))

    from .health import bp as health_bp
    from .logging_setup import init_request_ids
    from .metrics import init_web_metrics

    init_request_ids(app)  # before auth: a refused request still gets an id and is counted
    init_web_metrics(app)
    app.register_blueprint(health_bp)

    from .api import init_api

    init_api(app)

    from .auth import init_auth
    from .services.review import install_input_watch
    from .web import init_web

    install_input_watch()  # review's after_flush listener: inputs changed under an approval

    init_auth(app)
    init_web(app)

    from .cli import register_cli

    register_cli(app)
    return app
