"""Export jobs on the `export` queue: thin. Load the app, hand the export to the service."""
from __future__ import annotations

from app.extensions import db
from app.services.exports.reconcile import reconcile_exports
from app.services.exports.running import run_export

from .context import get_app
from .maintenance import run_once_per_interval


def export_job(export_id: int) -> str:
    app = get_app()
    with app.app_context():
        # A forked work horse must not share its parent's pooled DB connections.
        db.engine.dispose(close=False)
        return run_export(export_id)


def reconcile_exports_once(lock_s: int) -> list[dict]:
    """Reconcile exports unless another worker did within the last `lock_s` seconds (app context needed)."""
    return run_once_per_interval("export-reconcile-lock", lock_s, reconcile_exports,
                                 "export reconciler")
