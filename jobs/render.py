"""The render job: thin. Load the app, hand the variant revision to the service."""
from __future__ import annotations

from .context import get_app


def render_variant_job(variant_id: int, revision: int) -> str:
    app = get_app()
    with app.app_context():
        from app.extensions import db
        from app.services.rendering import render_variant_revision

        # A forked work horse must not share its parent's pooled DB connections.
        db.engine.dispose(close=False)
        return render_variant_revision(variant_id, revision)
