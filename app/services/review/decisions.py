"""A reviewer's decisions on one variant revision: open, approve, undo one's approval, reopen.

Each goes through transitions.transition (a conditional UPDATE: a lost race is a 409 with the
state that won) and writes a Decision and an AuditEvent in the same transaction."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import current_app

from ...extensions import db
from ...models import AuditEvent, User, Variant
from ...models.base import utcnow
from .. import Conflict
from ..exports.scheduling import on_variant_approved
from ..requests import get_variant
from ..review_states import DECIDABLE, S
from .transitions import current_status, mark_if_still, record, state_of, transition
from .validation import checked_comment

log = logging.getLogger("marquee.review")
#: What an approval withdrawn (undo, reopen) sets: back to review, nobody's approval.
BACK_TO_REVIEW = dict(status=S.IN_REVIEW.value, approved_by=None, approved_at=None)


def open_for_review(variant: Variant, user: User) -> Variant:
    """A reviewer opening a rendered variant moves it to in_review (recorded once)."""
    if user.role != "reviewer" or variant.status != S.RENDERED.value:
        return variant
    if mark_if_still(variant, S.RENDERED.value, dict(status=S.IN_REVIEW.value)):
        db.session.add(AuditEvent(actor=user.username, action="review.opened", entity_type="variant",
                                  entity_id=variant.id, revision=variant.revision,
                                  state_before=S.RENDERED.value, state_after=S.IN_REVIEW.value))
    db.session.commit()
    db.session.refresh(variant)
    return variant


def approve(variant_id: int, revision: int, user: User) -> Variant:
    before = current_status(variant_id)
    v = transition(variant_id, revision, DECIDABLE, dict(status=S.APPROVED.value, approved_by=user.username,
                                                         approved_at=utcnow()))
    record(user.username, v, revision, "approve", before, S.APPROVED.value)
    db.session.commit()
    _after_approval(v)
    return v


def _after_approval(v: Variant) -> None:
    """Hand the approved revision to export (app.services.exports) once it is committed. The
    approval stands whatever happens here: export's reconciler picks up approvals whose hook died."""
    try:
        on_variant_approved(v)
    except Exception:  # noqa: BLE001 - logged; the decision is already recorded
        db.session.rollback()
        log.exception("export hook failed for variant %s r%s", v.id, v.revision)


def _aware(ts: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return ts if ts is None or ts.tzinfo is not None else ts.replace(tzinfo=timezone.utc)


def undo_seconds_left(v: Variant) -> float:
    """How long the person who approved may still take it back (0 when not approved)."""
    if v.status != S.APPROVED.value or v.approved_at is None:
        return 0.0
    left = current_app.config["UNDO_WINDOW_S"] - (utcnow() - _aware(v.approved_at)).total_seconds()
    return max(0.0, left)


def undo_approval(variant_id: int, revision: int, user: User) -> Variant:
    """Take one's own approval back within UNDO_WINDOW_S: the variant returns to review.

    Its exports have not left: they wait out EXPORT_GRACE_S (longer than the window) and are
    superseded when they find the variant no longer approved; the pull feed is touched so
    pullers see the revision is no longer current."""
    v = get_variant(variant_id)
    db.session.refresh(v)
    if v.status != S.APPROVED.value or v.revision != revision or v.approved_by != user.username:
        raise Conflict(f"variant {variant_id} revision {revision} cannot be undone by {user.username}: it is "
                       f"revision {v.revision}, {v.status}", current=state_of(v))
    if undo_seconds_left(v) <= 0:
        raise Conflict(f"the undo window of {current_app.config['UNDO_WINDOW_S']:g} s has passed; "
                       "reopen the variant instead", current=state_of(v))
    v = transition(variant_id, revision, (S.APPROVED.value,), BACK_TO_REVIEW)
    record(user.username, v, revision, "undo", S.APPROVED.value, S.IN_REVIEW.value)
    db.session.commit()
    return v


def reopen(variant_id: int, revision: int, user: User, comment: str = "") -> Variant:
    """An approved variant goes back to review (its region's reviewer or an admin; app.auth
    checks role and scope). Recorded with the reason; exports still waiting are superseded."""
    comment = checked_comment(comment)
    if current_status(variant_id) != S.APPROVED.value:
        v = db.session.get(Variant, variant_id)
        raise Conflict(f"variant {variant_id} cannot be reopened: it is {v.status}, not approved",
                       current=state_of(v))
    v = transition(variant_id, revision, (S.APPROVED.value,), BACK_TO_REVIEW)
    record(user.username, v, revision, "reopen", S.APPROVED.value, S.IN_REVIEW.value, comment=comment or None)
    db.session.commit()
    return v

