"""Probes for a load balancer or orchestrator.

/healthz answers 200 while the process can serve at all (liveness: restart it when this fails).
/readyz checks what a request needs: the database, Redis, the blob store, and that the
database schema is at the migrations' head. Any failing part is named and the answer is 503,
so a proxy takes the process out of rotation until it is 200 again (readiness).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from redis import Redis

from .extensions import db
from .services import blob_store

bp = Blueprint("health", __name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def check_database() -> str:
    db.session.execute(db.text("SELECT 1"))
    return "ok"


def check_migrations() -> str:
    """The database's Alembic revision must be the scripts' head: a web process running code newer
    than its schema would answer with 500s."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        raise RuntimeError(f"database at {sorted(current) or 'no revision'}, code expects {sorted(heads)}: "
                           "run `flask db upgrade`")
    return f"at {', '.join(sorted(heads))}"


def check_redis() -> str:
    # A client of its own with short timeouts: a dead Redis must fail the probe, not hang it.
    conn = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2)
    try:
        conn.ping()
    finally:
        conn.close()
    return "ok"


def check_blobs() -> str:
    store = blob_store()
    store.ping()
    return f"{store.backend} {store.location}"


CHECKS: dict[str, Callable[[], str]] = {"database": check_database, "migrations": check_migrations,
                                        "redis": check_redis, "blobs": check_blobs}


def run_checks() -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        t0 = time.perf_counter()
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as exc:  # noqa: BLE001 - any failure makes the process not ready
            if name in ("database", "migrations"):
                db.session.rollback()
            results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:500]}
        results[name]["ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return all(r["ok"] for r in results.values()), results


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    ok, results = run_checks()
    failing = [name for name, r in results.items() if not r["ok"]]
    body = {"status": "ready" if ok else "not ready", "failing": failing, "checks": results}
    return jsonify(body), (200 if ok else 503)
