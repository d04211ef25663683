"""create_app: the one place that wires the layers together (config, extensions, security, the
API, the UI, the CLI). Nothing in app/ imports it; wsgi.py, the workers and the tests do."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from . import models  # noqa: F401  (registers the tables on the metadata)
from .api import init_api
from .auth import init_auth
from .cli import register_cli
from .config import PROJECT_ROOT, load_config
from .extensions import db, migrate
from .health import bp as health_bp
from .logging_setup import init_request_ids
from .metrics import init_web_metrics
from .security import init_security
from .services.review import install_input_watch
from .web import init_web


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # Named after the package, as before the factory moved here: the logger is still "app".
    app = Flask(__package__, template_folder=str(PROJECT_ROOT / "templates"))
    app.config.from_mapping(load_config(config))
    _make_local_dirs(app.config)
    db.init_app(app)
    init_security(app)  # first: the https redirect and rate limits come before authentication
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    init_request_ids(app)  # before auth: a refused request still gets an id and is counted
    init_web_metrics(app)
    app.register_blueprint(health_bp)
    init_api(app)
    install_input_watch()  # review's after_flush listener: inputs changed under an approval
    init_auth(app)
    init_web(app)
    register_cli(app)
    return app


def _make_local_dirs(cfg: dict[str, Any]) -> None:
    """The local blob directory and the SQLite file's directory, when those are configured."""
    if cfg.get("BLOB_BACKEND", "local") == "local":
        Path(cfg["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(cfg["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
