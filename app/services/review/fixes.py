"""Marketing's fix by re-render: a new revision with overrides (tagline, crop anchor, text zone)
goes back to the render queue and then to review; any approval is cleared.

One fix can reach further than the variant it was asked on: every format of its locale, or the
whole request ("level"), as one action with one audit entry and a new revision each."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ...extensions import db
from ...models import Decision, FixRequest, Flag, User, Variant
from .. import ServiceError
from ..requests import enqueue_variants, get_variant
from ..review_states import AUTO, FINISHED, FIX_LEVELS, S
from .transitions import approval_withdrawn, record, transition
from .validation import checked_overrides

#: States a re-render may start from: any finished image, or a failed render.
RERENDERABLE = FINISHED + (S.FAILED.value,)


def rerender(variant_id: int, user: User, *, overrides: dict[str, Any] | None = None,
             revision: int | None = None, flag_id: int | None = None, level: str = "variant") -> Variant:
    """New revision with overrides, back to the queue and then to review; approval is cleared.

    `level` "locale" or "request" gives the same overrides to every finished (or failed) variant
    of the locale or of the request too: one action and one audit entry (on this variant, naming
    the others), one new revision each. Variants still rendering are left alone (named as skipped)."""
    if level not in FIX_LEVELS:
        raise ServiceError(f"unknown level {level!r}; known: {', '.join(FIX_LEVELS)}", status=422)
    ov = checked_overrides(overrides)
    v = get_variant(variant_id)
    rev = v.revision if revision is None else revision
    before = v.status
    nv = _new_revision(v, rev, ov, user, flag_id)
    others, skipped = _rerender_others(v, ov, user, level) if level != "variant" else ([], [])
    record(user.username, nv, rev, "rerender", before, S.QUEUED.value, flag_id=flag_id,
           overrides=ov or None, new_revision=rev + 1, level=level if level != "variant" else None,
           also=[o.id for o in others] or None, skipped=skipped or None)
    db.session.commit()
    enqueue_variants([nv, *others])
    return nv


def _rerender_others(v: Variant, ov: dict[str, str], user: User, level: str) -> tuple[list[Variant], list[int]]:
    """The same overrides on the rest of the locale ("locale") or request ("request"): the new
    revisions made, and the ids of variants skipped because they are still rendering."""
    q = select(Variant).where(Variant.request_id == v.request_id, Variant.id != v.id).order_by(Variant.id)
    if level == "locale":
        q = q.where(Variant.locale == v.locale)
    others, skipped = [], []
    for o in db.session.scalars(q).all():
        if o.status not in RERENDERABLE:
            skipped.append(o.id)
            continue
        prior = o.status
        no = _new_revision(o, o.revision, ov, user, None)
        db.session.add(Decision(variant_id=o.id, revision=o.revision - 1, decision="rerender", actor=user.username,
                                state_before=prior, state_after=S.QUEUED.value))
        if prior == S.APPROVED.value:
            approval_withdrawn(o.id)
        others.append(no)
    return others, skipped


def _new_revision(v: Variant, rev: int, ov: dict[str, str], user: User, flag_id: int | None) -> Variant:
    """The next revision of one variant with `ov` merged into its overrides (not committed)."""
    old_jpeg = (v.assets or {}).get("jpeg")  # kept for the revision compare (blobs are never deleted)
    merged = {k: val for k, val in {**(v.overrides or {}), **ov}.items() if val != AUTO}
    nv = transition(v.id, rev, RERENDERABLE, dict(
        revision=rev + 1, status=S.QUEUED.value, overrides=merged or None, approved_by=None, approved_at=None,
        error=None, attempt=None))
    db.session.add(FixRequest(variant_id=nv.id, flag_id=flag_id, kind="rerender", from_revision=rev,
                              to_revision=rev + 1, overrides=ov or None, actor=user.username, status="submitted",
                              result={"from_jpeg": old_jpeg} if old_jpeg else None))
    if flag_id:
        mark_flag_addressed(flag_id)
    return nv


def mark_flag_addressed(flag_id: int) -> None:
    """The flag a fix answers is addressed (not committed)."""
    db.session.execute(update(Flag).where(Flag.id == flag_id).values(status="addressed"))


def current_tagline(v: Variant) -> str:
    """What the tagline field starts with: the override, else the localization's tagline."""
    if (v.overrides or {}).get("tagline"):
        return v.overrides["tagline"]
    loc = v.request.title.localized(v.locale)
    return (loc.tagline if loc else None) or ""
