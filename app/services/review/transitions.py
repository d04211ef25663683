"""The one way a review action changes a variant: a conditional UPDATE on (id, revision, status),
recorded as a Decision and an AuditEvent in the same transaction.

Two reviewers deciding on the same revision at once cannot both win; the loser gets 409 with
the current state and nothing is overwritten."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ...extensions import db
from ...models import AuditEvent, Decision, Variant
from .. import Conflict, NotFound
from ..exports.feed import touch_feed
from ..review_states import S


def state_of(v: Variant) -> dict[str, Any]:
    """What a 409 carries: the state that won."""
    return {"variant_id": v.id, "revision": v.revision, "status": v.status,
            "approved_by": v.approved_by}


def record(actor: str, v: Variant, revision: int, decision: str, before: str, after: str,
           flag_id: int | None = None, **detail: Any) -> None:
    """Add the Decision and its AuditEvent (not committed); withdrawing an approval touches the feed."""
    db.session.add(Decision(variant_id=v.id, revision=revision, decision=decision, actor=actor,
                            state_before=before, state_after=after, flag_id=flag_id))
    db.session.add(AuditEvent(actor=actor, action=f"review.{decision}", entity_type="variant", entity_id=v.id,
                              revision=revision, state_before=before, state_after=after,
                              detail={k: val for k, val in detail.items() if val is not None} or None))
    if before == S.APPROVED.value and after != S.APPROVED.value:
        approval_withdrawn(v.id)


def approval_withdrawn(variant_id: int, conn=None) -> None:
    """The pull feed shows the revision again, now not current, so pullers can take it down."""
    touch_feed(variant_id, conn=conn)


def transition(variant_id: int, revision: int, from_states: tuple[str, ...], values: dict[str, Any]) -> Variant:
    """Conditional UPDATE; on a lost race raise 409 carrying the state that won."""
    res = db.session.execute(
        update(Variant)
        .where(Variant.id == variant_id, Variant.revision == revision, Variant.status.in_(from_states))
        .values(**values)
        .execution_options(synchronize_session=False))
    if res.rowcount != 1:
        db.session.rollback()
        v = db.session.get(Variant, variant_id)
        if v is None:
            raise NotFound(f"variant {variant_id} does not exist")
        db.session.refresh(v)
        raise Conflict(f"variant {variant_id} revision {revision} cannot be decided: it is now "
                       f"revision {v.revision}, {v.status}", current=state_of(v))
    v = db.session.get(Variant, variant_id)
    db.session.refresh(v)
    return v


def mark_if_still(v: Variant, status: str, values: dict[str, Any]) -> bool:
    """Conditional UPDATE of a variant other than the one decided on: applied only if it is still
    at this revision and status (a variant someone else just moved is left as it now is)."""
    res = db.session.execute(update(Variant).where(
        Variant.id == v.id, Variant.revision == v.revision, Variant.status == status)
        .values(**values).execution_options(synchronize_session=False))
    return res.rowcount == 1


def current_status(variant_id: int) -> str:
    status = db.session.scalar(select(Variant.status).where(Variant.id == variant_id))
    if status is None:
        raise NotFound(f"variant {variant_id} does not exist")
    return status

