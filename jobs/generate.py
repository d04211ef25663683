"""The GPU jobs: thin. Hand a batch of variant revisions, or one generator edit, to its service."""
from __future__ import annotations

from app.services.gpu_expand import generate_variants
from app.services.review import run_generator_edit

from .context import get_app


def generate_job(pairs: list[tuple[int, int]]) -> dict:
    app = get_app()
    with app.app_context():
        return generate_variants([tuple(p) for p in pairs])


def edit_job(fix_id: int) -> str:
    """A reviewer-driven remove / restyle of a marked area, with the resident model."""
    app = get_app()
    with app.app_context():
        return run_generator_edit(fix_id)
