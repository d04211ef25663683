"""Flask extensions, created unbound and initialised in create_app()."""
from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
#: Rate limits (login attempts); storage and strategy come from app.config (RATELIMIT_*).
#: One instance for the process, as its route decorators need it at import time. Flask-Limiter
#: keeps the first app's RATELIMIT_KEY_PREFIX forever, so keys carry the app's own prefix instead
#: (LIMIT_KEY_PREFIX, read per request: test apps in one process never share counters).
limiter = Limiter(key_func=lambda: limit_key(get_remote_address()))


def limit_key(*parts: str) -> str:
    """A rate-limit key in this app's namespace."""
    return "/".join((current_app.config.get("LIMIT_KEY_PREFIX", ""), *parts))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """SQLite shared by an API process and several workers: WAL and a generous busy timeout."""
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()
