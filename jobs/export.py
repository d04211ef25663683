"""Export jobs on the `export` queue: thin. Load the app, hand the export to the service."""
from __future__ import annotations

import logging

from .context import get_app

log = logging.getLogger("marquee.worker")


def export_job(export_id: int) -> str:
    app = get_app()
    with app.app_context():
        from app.extensions import db
        from app.services.exports.running import run_export

        # A forked work horse must not share its parent's pooled DB connections.
        db.engine.dispose(close=False)
        return run_export(export_id)


def reconcile_exports_once(lock_s: int) -> list[dict]:
    """Reconcile exports unless another worker did within the last `lock_s` seconds (app context needed)."""
    from app.services.exports.reconcile import reconcile_exports
    from app.queueing import queue_name, redis_conn

    try:
        if not redis_conn().set(queue_name("export-reconcile-lock"), "1", nx=True, ex=max(1, lock_s - 1)):
            return []
        done = reconcile_exports()
    except Exception:  # maintenance must never kill the worker
        log.exception("export reconciler failed")
        return []
    if done:
        log.warning("export reconciler: %s", done)
    return done
