"""One attempt holds an export: it claims it with a conditional UPDATE and a token, keeps a
heartbeat in the database, and records its end only while the claim is still its own. A
duplicate job or the orphan of a lost worker therefore never records twice."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, update

from ...extensions import db
from ...models import Export
from ...models.base import utcnow
from ...models.export import ExportStatus
from .feed import touch_feed
from .records import audit


class LostClaim(Exception):
    """The export was taken from this attempt (re-enqueued as stale); stop without recording."""


def claim(export_id: int) -> str | None:
    """Take a pending export for this attempt; returns its token, or None if it is not pending."""
    token = uuid.uuid4().hex
    now = utcnow()
    res = db.session.execute(update(Export).where(Export.id == export_id, Export.status == ExportStatus.PENDING.value)
                             .values(status=ExportStatus.RUNNING.value, attempt=token, started_at=now,
                                     heartbeat_at=now, error=None))
    db.session.commit()
    return token if res.rowcount == 1 else None


def owned(export_id: int, token: str) -> tuple[ColumnElement[bool], ...]:
    """The WHERE clause of every write of an attempt: the export is still running under its token."""
    return (Export.id == export_id, Export.attempt == token, Export.status == ExportStatus.RUNNING.value)


def beat(export_id: int, token: str, **values: Any) -> None:
    """Heartbeat in the database (and any values); raises LostClaim if the export is no longer ours."""
    res = db.session.execute(update(Export).where(*owned(export_id, token)).values(heartbeat_at=utcnow(), **values))
    db.session.commit()
    if res.rowcount != 1:
        raise LostClaim(f"export {export_id} was taken from attempt {token}")


def finish(exp_id: int, token: str, status: str, error: str | None = None, **values: Any) -> bool:
    """Record the attempt's end (done, failed, superseded), audited; False if it was not ours."""
    res = db.session.execute(update(Export).where(*owned(exp_id, token)).values(
        status=status, error=error, finished_at=utcnow(), heartbeat_at=utcnow(), next_attempt_at=None, **values))
    if res.rowcount != 1:
        db.session.rollback()
        return False
    exp = db.session.get(Export, exp_id)
    if status == ExportStatus.DONE.value and exp.target.is_storage:
        touch_feed(exp.variant_id, exp.revision)  # its files have URLs at this target now
    audit(exp, "worker", f"export.{status}", ExportStatus.RUNNING.value, status, {"error": error} if error else None)
    db.session.commit()
    return True
