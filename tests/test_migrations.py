"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and downgrade cleanly."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

pytestmark = pytest.mark.service


def test_models_match_migrations(stack):
    with stack.app.app_context():
        from app.extensions import db

        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"


def test_downgrade_to_base_and_back(stack):
    from flask_migrate import downgrade, upgrade

    with stack.app.app_context():
        from app.extensions import db

        tables = set(db.metadata.tables)
        downgrade(revision="base")
        db.engine.dispose()
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set(), f"downgrade left tables behind: {left}"
        upgrade()
        db.engine.dispose()
        assert tables <= set(inspect(db.engine).get_table_names())
