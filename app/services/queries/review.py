"""What review reads: the inboxes ("My review queue", marketing's "Needs my fix"), a variant's
flags and their threads, fix requests and history, and the revision before the current one."""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import AuditEvent, FixRequest, Flag, FlagComment, User, Variant
from ..review_states import DECIDABLE, S, fix_reason
from .variants import visible_variants

#: Marketing's inbox order: what a reviewer flagged, then failures, then refused overrides.
FIX_ORDER = {"flagged": 0, "failed": 1, "override_refused": 2}


def queue(user: User) -> list[Variant]:
    """What waits for a decision in the user's scope, oldest first."""
    items = visible_variants(user, statuses=DECIDABLE)
    return sorted(items, key=lambda v: (v.finished_at or v.updated_at, v.id))


def resubmitted_ids(user: User, items: list[Variant]) -> set[int]:
    """Variants now at a newer revision than one this user flagged: the fix they asked for."""
    if not items:
        return set()
    rows = db.session.execute(select(Flag.variant_id, Flag.revision).where(
        Flag.author == user.username, Flag.variant_id.in_([v.id for v in items]))).all()
    current = {v.id: v.revision for v in items}
    return {vid for vid, rev in rows if rev < current[vid]}


def review_inbox(user: User) -> tuple[list[Variant], set[int]]:
    """A reviewer's queue: what came back after their flag first, then new work (oldest first)."""
    items = queue(user)
    again = resubmitted_ids(user, items)
    return sorted(items, key=lambda v: v.id not in again), again


def fix_inbox(user: User) -> list[Variant]:
    """Marketing's "Needs my fix": flagged, failed, and refused overrides, in that order."""
    items = [v for v in visible_variants(user, statuses=(S.CHANGES_REQUESTED.value, S.FAILED.value, *DECIDABLE))
             if fix_reason(v)]
    return sorted(items, key=lambda v: (FIX_ORDER[fix_reason(v)], v.updated_at or v.finished_at, v.id))


def inbox(user: User) -> list[Variant]:
    """What "Next" walks through: marketing's fixes, everyone else's review queue."""
    return fix_inbox(user) if user.role == "marketing" else review_inbox(user)[0]


def previous_jpeg(v: Variant) -> tuple[int, dict] | None:
    """(revision, jpeg asset) of the revision before the current one, when it had an image."""
    fix = db.session.scalar(select(FixRequest).where(FixRequest.variant_id == v.id,
                                                     FixRequest.to_revision == v.revision)
                            .order_by(FixRequest.id.desc()).limit(1))
    jpeg = ((fix.result or {}).get("from_jpeg") if fix is not None else None)
    return (fix.from_revision, jpeg) if jpeg else None


def flags_for(variant_id: int) -> list[Flag]:
    return list(db.session.scalars(select(Flag).where(Flag.variant_id == variant_id).order_by(Flag.id.desc())))


def history(variant_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "variant", AuditEvent.entity_id == variant_id).order_by(AuditEvent.id.desc())))


def fixes_for(variant_id: int) -> list[FixRequest]:
    return list(db.session.scalars(select(FixRequest).where(FixRequest.variant_id == variant_id)
                                   .order_by(FixRequest.id.desc())))


def fix_request_of(variant_id: int, fix_id: int) -> FixRequest | None:
    """The fix request, if it belongs to this variant."""
    fix = db.session.get(FixRequest, fix_id)
    return fix if fix is not None and fix.variant_id == variant_id else None


def find_flag(flag_id: int) -> Flag | None:
    return db.session.get(Flag, flag_id)


def comments(flag_id: int) -> list[FlagComment]:
    """A flag's thread, oldest first."""
    return list(db.session.scalars(select(FlagComment).where(FlagComment.flag_id == flag_id)
                                   .order_by(FlagComment.id)))


def comments_by_flag(flag_ids: list[int]) -> dict[int, list[FlagComment]]:
    """The threads of a page's flags in one query."""
    out: dict[int, list[FlagComment]] = {i: [] for i in flag_ids}
    if flag_ids:
        for c in db.session.scalars(select(FlagComment).where(FlagComment.flag_id.in_(flag_ids))
                                    .order_by(FlagComment.id)):
            out[c.flag_id].append(c)
    return out
