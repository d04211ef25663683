"""The GPU job: thin. Hand a batch of variant revisions to the generation service."""
from __future__ import annotations

from .context import get_app


def generate_job(pairs: list[tuple[int, int]]) -> dict:
    app = get_app()
    with app.app_context():
        from app.services.generation import generate_variants

        return generate_variants([tuple(p) for p in pairs])


def edit_job(fix_id: int) -> str:
    """A reviewer-driven remove / restyle of a marked area, with the resident model."""
    app = get_app()
    with app.app_context():
        from app.services.review import run_generator_edit

        return run_generator_edit(fix_id)
