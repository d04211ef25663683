"""What every part of export shares: the state it exports, the audit trail of an export, and
times read back from the database (SQLite gives them back naive, meaning UTC)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app

from ...extensions import db
from ...models import AuditEvent, Export, Variant
from ...models.base import utcnow

APPROVED = "approved"


def audit(exp: Export, actor: str, action: str, before: str | None, after: str | None,
          detail: dict | None = None) -> None:
    """Add an audit event about the export to the session (the caller commits it with the move)."""
    db.session.add(AuditEvent(actor=actor, action=action, entity_type="export", entity_id=exp.id,
                              revision=exp.revision, state_before=before, state_after=after, detail=detail))


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at


def due_in(at: datetime | None) -> float:
    """Seconds until `at`, 0 if past or None."""
    if at is None:
        return 0.0
    return max(0.0, (_aware(at) - utcnow()).total_seconds())


def grace_left(variant: Variant) -> float:
    """Seconds until an approval may leave for the targets: EXPORT_GRACE_S after approved_at, so
    an undo (app.services.review.undo_approval) never races a push."""
    approved_at = getattr(variant, "approved_at", None)
    if approved_at is None:
        return 0.0
    return max(0.0, current_app.config["EXPORT_GRACE_S"] - (utcnow() - _aware(approved_at)).total_seconds())
