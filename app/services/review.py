"""Review decisions on one variant revision.

Every decision is a conditional UPDATE on (id, revision, status): two reviewers deciding on the
same revision at once cannot both win; the loser gets 409 with the current state and nothing is
overwritten. Every decision writes a Decision row and an AuditEvent (who, when, which revision,
state before and after) in the same transaction as the state change.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import AuditEvent, Decision, FixRequest, Flag, RenderRequest, User, Variant, VariantStatus
from ..models.base import utcnow
from ..models.review import CATEGORIES, SCOPES, FlagScope
from ..render.reframe import ANCHORS
from ..render.text.placement import ZONES
from . import Conflict, NotFound, ServiceError
from .exports.feed import touch_feed
from .exports.scheduling import on_variant_approved

S = VariantStatus
#: States a reviewer can decide on. A rendered variant is "in review" from the moment it is
#: rendered; opening it makes that explicit (see open_for_review).
DECIDABLE = (S.RENDERED.value, S.IN_REVIEW.value)
#: States that hold a finished image, i.e. that a shared flag or a re-render can send back.
FINISHED = (S.RENDERED.value, S.IN_REVIEW.value, S.APPROVED.value, S.CHANGES_REQUESTED.value)
CROP_ANCHORS = ANCHORS
TEXT_ZONES = ZONES
GENERATOR_OPS = ("remove", "restyle")
#: An override value that drops an earlier override: the renderer decides again.
AUTO = "auto"


def _state(v: Variant) -> dict[str, Any]:
    return {"variant_id": v.id, "revision": v.revision, "status": v.status,
            "approved_by": v.approved_by}


def _record(actor: str, v: Variant, revision: int, decision: str, before: str, after: str,
            flag_id: int | None = None, **detail: Any) -> None:
    db.session.add(Decision(variant_id=v.id, revision=revision, decision=decision, actor=actor,
                            state_before=before, state_after=after, flag_id=flag_id))
    db.session.add(AuditEvent(actor=actor, action=f"review.{decision}", entity_type="variant", entity_id=v.id,
                              revision=revision, state_before=before, state_after=after,
                              detail={k: val for k, val in detail.items() if val is not None} or None))
    if before == S.APPROVED.value and after != S.APPROVED.value:
        _approval_withdrawn(v.id)


def _approval_withdrawn(variant_id: int, conn=None) -> None:
    """The pull feed shows the revision again, now not current, so pullers can take it down."""
    touch_feed(variant_id, conn=conn)


def _transition(variant_id: int, revision: int, from_states: tuple[str, ...], values: dict[str, Any]) -> Variant:
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
                       f"revision {v.revision}, {v.status}", current=_state(v))
    v = db.session.get(Variant, variant_id)
    db.session.refresh(v)
    return v


def open_for_review(variant: Variant, user: User) -> Variant:
    """A reviewer opening a rendered variant moves it to in_review (recorded once)."""
    if user.role != "reviewer" or variant.status != S.RENDERED.value:
        return variant
    res = db.session.execute(update(Variant).where(
        Variant.id == variant.id, Variant.revision == variant.revision, Variant.status == S.RENDERED.value)
        .values(status=S.IN_REVIEW.value).execution_options(synchronize_session=False))
    if res.rowcount == 1:
        db.session.add(AuditEvent(actor=user.username, action="review.opened", entity_type="variant",
                                  entity_id=variant.id, revision=variant.revision,
                                  state_before=S.RENDERED.value, state_after=S.IN_REVIEW.value))
    db.session.commit()
    db.session.refresh(variant)
    return variant


def approve(variant_id: int, revision: int, user: User) -> Variant:
    before = _current_status(variant_id)
    v = _transition(variant_id, revision, DECIDABLE, dict(status=S.APPROVED.value, approved_by=user.username,
                                                          approved_at=utcnow()))
    _record(user.username, v, revision, "approve", before, S.APPROVED.value)
    db.session.commit()
    _after_approval(v)
    return v


def _aware(ts):
    """SQLite hands back naive datetimes; every stored time is UTC."""
    from datetime import timezone

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
    v = db.session.get(Variant, variant_id)
    if v is None:
        raise NotFound(f"variant {variant_id} does not exist")
    db.session.refresh(v)
    if v.status != S.APPROVED.value or v.revision != revision or v.approved_by != user.username:
        raise Conflict(f"variant {variant_id} revision {revision} cannot be undone by {user.username}: it is "
                       f"revision {v.revision}, {v.status}", current=_state(v))
    if undo_seconds_left(v) <= 0:
        raise Conflict(f"the undo window of {current_app.config['UNDO_WINDOW_S']:g} s has passed; "
                       "reopen the variant instead", current=_state(v))
    v = _transition(variant_id, revision, (S.APPROVED.value,),
                    dict(status=S.IN_REVIEW.value, approved_by=None, approved_at=None))
    _record(user.username, v, revision, "undo", S.APPROVED.value, S.IN_REVIEW.value)
    db.session.commit()
    return v


def reopen(variant_id: int, revision: int, user: User, comment: str = "") -> Variant:
    """An approved variant goes back to review (its region's reviewer or an admin; app.auth
    checks role and scope). Recorded with the reason; exports still waiting are superseded."""
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise ServiceError("the comment is longer than 4000 characters", status=422)
    if _current_status(variant_id) != S.APPROVED.value:
        v = db.session.get(Variant, variant_id)
        raise Conflict(f"variant {variant_id} cannot be reopened: it is {v.status}, not approved",
                       current=_state(v))
    v = _transition(variant_id, revision, (S.APPROVED.value,),
                    dict(status=S.IN_REVIEW.value, approved_by=None, approved_at=None))
    _record(user.username, v, revision, "reopen", S.APPROVED.value, S.IN_REVIEW.value, comment=comment or None)
    db.session.commit()
    return v


def _after_approval(v: Variant) -> None:
    """Hand the approved revision to export (app.services.exports) once it is committed. The
    approval stands whatever happens here: export's reconciler picks up approvals whose hook died."""
    try:
        on_variant_approved(v)
    except Exception:  # noqa: BLE001 - logged; the decision is already recorded
        db.session.rollback()
        logging.getLogger("marquee.review").exception("export hook failed for variant %s r%s", v.id, v.revision)


def _current_status(variant_id: int) -> str:
    status = db.session.scalar(select(Variant.status).where(Variant.id == variant_id))
    if status is None:
        raise NotFound(f"variant {variant_id} does not exist")
    return status


def _validate_rect(rect: dict[str, Any] | None) -> dict[str, float] | None:
    if rect in (None, {}):
        return None
    try:
        r = {k: float(rect[k]) for k in ("x", "y", "w", "h")}
    except (KeyError, TypeError, ValueError):
        raise ServiceError("rect needs numbers x, y, w, h (fractions of the image, 0..1)", status=422) from None
    if not (0 <= r["x"] < 1 and 0 <= r["y"] < 1 and 0 < r["w"] <= 1 and 0 < r["h"] <= 1
            and r["x"] + r["w"] <= 1.0001 and r["y"] + r["h"] <= 1.0001):
        raise ServiceError(f"rect {r} is not inside the image (fractions 0..1, w and h > 0)", status=422)
    return {k: round(v, 4) for k, v in r.items()}


def _validate_flag(categories: list[str], scope: str) -> list[str]:
    cats = list(dict.fromkeys(c for c in categories or [] if c))
    if not cats:
        raise ServiceError(f"a flag needs at least one category; known: {', '.join(CATEGORIES)}", status=422)
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown:
        raise ServiceError(f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))};"
                           f" known: {', '.join(CATEGORIES)}", status=422)
    if scope not in SCOPES:
        raise ServiceError(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}", status=422)
    return cats


def shared_with(v: Variant, scope: str) -> list[Variant]:
    """Other variants built from the same shared input: same key art, or same title+locale."""
    if scope == FlagScope.KEY_ART.value:
        cond = RenderRequest.key_art_id == v.request.key_art_id
    elif scope == FlagScope.LOCALIZATION.value:
        cond = (RenderRequest.title_id == v.request.title_id) & (Variant.locale == v.locale)
    else:
        return []
    return list(db.session.scalars(select(Variant).join(RenderRequest).where(cond, Variant.id != v.id)
                                   .order_by(Variant.id)))


def may_flag(user: User, v: Variant) -> bool:
    """Whether `user` may send `v` back: admins everywhere, others (reviewers) in their own
    locales and regions only. A shared flag reaches no further than this."""
    return user.role == "admin" or user.sees_locale(v.locale)


@dataclass
class FlagOutcome:
    """A flag and how far it reached: the copies it left on other variants built from the same
    input (`flagged`), those of them sent back to changes_requested (`marked`), and how many
    such variants lie outside the flagger's regions and were not touched (`outside`)."""

    flag: Flag
    scope: str
    flagged: list[int] = field(default_factory=list)
    marked: list[int] = field(default_factory=list)
    outside: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scope": self.scope, "variants_flagged": len(self.flagged),
                               "variants_marked": len(self.marked), "flagged_variant_ids": self.flagged,
                               "marked_variant_ids": self.marked, "outside_your_regions": self.outside}
        if self.outside:
            out["note"] = (f"{self.outside} other variant(s) built from the same "
                           f"{'key art' if self.scope == FlagScope.KEY_ART.value else 'localization'} are "
                           "outside your regions and were not touched; a reviewer of those regions or an "
                           "admin can flag them")
        return out


def flag(variant_id: int, revision: int, user: User, *, categories: list[str], comment: str = "",
         rect: dict[str, Any] | None = None, scope: str = "variant") -> Flag:
    """Flag one revision (-> changes_requested); see flag_revision for shared scopes."""
    return flag_revision(variant_id, revision, user, categories=categories, comment=comment, rect=rect,
                         scope=scope).flag


def flag_revision(variant_id: int, revision: int, user: User, *, categories: list[str], comment: str = "",
                  rect: dict[str, Any] | None = None, scope: str = "variant") -> FlagOutcome:
    """Flag one revision (-> changes_requested). A shared-scope flag marks every other variant
    built from that input that the flagger may act on (may_flag): each gets its own copy of the
    flag and, if finished, changes_requested. Variants outside the flagger's regions are never
    touched (a JP reviewer's key-art flag must not withdraw a BR approval); they are counted."""
    cats = _validate_flag(categories, scope)
    box = _validate_rect(rect)
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise ServiceError("the comment is longer than 4000 characters", status=422)
    before = _current_status(variant_id)
    v = _transition(variant_id, revision, DECIDABLE, dict(status=S.CHANGES_REQUESTED.value,
                                                          approved_by=None, approved_at=None))
    origin = Flag(variant_id=v.id, revision=revision, categories=cats, comment=comment, rect=box, scope=scope,
                  author=user.username)
    db.session.add(origin)
    db.session.flush()
    shared = shared_with(v, scope)
    reach = [o for o in shared if may_flag(user, o)]
    outcome = FlagOutcome(flag=origin, scope=scope, outside=len(shared) - len(reach))
    _record(user.username, v, revision, "flag", before, S.CHANGES_REQUESTED.value, flag_id=origin.id,
            categories=cats, scope=scope, rect=box, comment=comment or None,
            outside_flaggers_regions=outcome.outside or None)
    for other in reach:
        copy = Flag(variant_id=other.id, revision=other.revision, categories=cats, comment=comment, rect=None,
                    scope=scope, origin_flag_id=origin.id, author=user.username)
        db.session.add(copy)
        db.session.flush()
        outcome.flagged.append(other.id)
        prior = other.status
        if prior in FINISHED and prior != S.CHANGES_REQUESTED.value:
            res = db.session.execute(update(Variant).where(
                Variant.id == other.id, Variant.revision == other.revision, Variant.status == prior)
                .values(status=S.CHANGES_REQUESTED.value, approved_by=None, approved_at=None)
                .execution_options(synchronize_session=False))
            after = S.CHANGES_REQUESTED.value if res.rowcount == 1 else prior
        else:
            after = prior
        if after != prior:
            outcome.marked.append(other.id)
        _record(user.username, other, other.revision, "flag_shared", prior, after, flag_id=copy.id,
                origin_flag_id=origin.id, origin_variant_id=v.id, scope=scope)
    db.session.commit()
    return outcome


def _validate_overrides(raw: dict[str, Any] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    raw = {k: v for k, v in (raw or {}).items() if v not in (None, "")}
    unknown = set(raw) - {"tagline", "crop_anchor", "text_zone"}
    if unknown:
        raise ServiceError(f"unknown override(s) {', '.join(sorted(unknown))}; "
                           "known: tagline, crop_anchor, text_zone", status=422)
    if "tagline" in raw:
        tag = str(raw["tagline"]).strip()
        if not 0 < len(tag) <= 300:
            raise ServiceError("tagline must be 1 to 300 characters", status=422)
        out["tagline"] = tag
    for key, allowed in (("crop_anchor", CROP_ANCHORS), ("text_zone", TEXT_ZONES)):
        if key in raw:
            if raw[key] not in (*allowed, AUTO):
                raise ServiceError(f"{key} {raw[key]!r} is not one of {', '.join((*allowed, AUTO))}", status=422)
            out[key] = raw[key]
    return out


#: How far one override reaches: this variant, every format of its locale, or the whole request.
FIX_LEVELS = ("variant", "locale", "request")


def rerender(variant_id: int, user: User, *, overrides: dict[str, Any] | None = None,
             revision: int | None = None, flag_id: int | None = None, level: str = "variant") -> Variant:
    """New revision with overrides, back to the queue and then to review; approval is cleared.

    `level` "locale" or "request" gives the same overrides to every finished (or failed) variant
    of the locale or of the request too: one action and one audit entry (on this variant, naming
    the others), one new revision each. Variants still rendering are left alone (named as skipped)."""
    from .requests import enqueue_variants

    if level not in FIX_LEVELS:
        raise ServiceError(f"unknown level {level!r}; known: {', '.join(FIX_LEVELS)}", status=422)
    ov = _validate_overrides(overrides)
    v = db.session.get(Variant, variant_id)
    if v is None:
        raise NotFound(f"variant {variant_id} does not exist")
    rev = v.revision if revision is None else revision
    before = v.status
    nv = _new_revision(v, rev, ov, user, flag_id)
    others, skipped = [], []
    if level != "variant":
        q = select(Variant).where(Variant.request_id == v.request_id, Variant.id != v.id).order_by(Variant.id)
        if level == "locale":
            q = q.where(Variant.locale == v.locale)
        for o in db.session.scalars(q).all():
            if o.status not in FINISHED + (S.FAILED.value,):
                skipped.append(o.id)
                continue
            prior = o.status
            no = _new_revision(o, o.revision, ov, user, None)
            db.session.add(Decision(variant_id=o.id, revision=o.revision - 1, decision="rerender", actor=user.username,
                                    state_before=prior, state_after=S.QUEUED.value))
            if prior == S.APPROVED.value:
                _approval_withdrawn(o.id)
            others.append(no)
    _record(user.username, nv, rev, "rerender", before, S.QUEUED.value, flag_id=flag_id,
            overrides=ov or None, new_revision=rev + 1, level=level if level != "variant" else None,
            also=[o.id for o in others] or None, skipped=skipped or None)
    db.session.commit()
    enqueue_variants([nv, *others])
    return nv


def _new_revision(v: Variant, rev: int, ov: dict[str, str], user: User, flag_id: int | None) -> Variant:
    """The next revision of one variant with `ov` merged into its overrides (not committed)."""
    old_jpeg = (v.assets or {}).get("jpeg")  # kept for the revision compare (blobs are never deleted)
    merged = {k: val for k, val in {**(v.overrides or {}), **ov}.items() if val != AUTO}
    nv = _transition(v.id, rev, FINISHED + (S.FAILED.value,), dict(
        revision=rev + 1, status=S.QUEUED.value, overrides=merged or None, approved_by=None, approved_at=None,
        error=None, attempt=None))
    db.session.add(FixRequest(variant_id=nv.id, flag_id=flag_id, kind="rerender", from_revision=rev,
                              to_revision=rev + 1, overrides=ov or None, actor=user.username, status="submitted",
                              result={"from_jpeg": old_jpeg} if old_jpeg else None))
    if flag_id:
        db.session.execute(update(Flag).where(Flag.id == flag_id).values(status="addressed"))
    return nv


def current_tagline(v: Variant) -> str:
    """What the tagline field starts with: the override, else the localization's tagline."""
    if (v.overrides or {}).get("tagline"):
        return v.overrides["tagline"]
    loc = v.request.title.localized(v.locale)
    return (loc.tagline if loc else None) or ""


def generator_edit(variant_id: int, user: User, *, op: str, rect: dict[str, Any] | None,
                   prompt: str = "", flag_id: int | None = None) -> FixRequest:
    """Send the marked area to the generator (remove or restyle). The result is a proposal image
    kept with the fix request. With a model configured the edit runs on the `gpu` queue, where
    the weights stay resident (status "queued", then "done" or "failed"); the classical backend
    is cheap and runs here."""
    from .generation import uses_gpu_queue

    if op not in GENERATOR_OPS:
        raise ServiceError(f"op must be one of {', '.join(GENERATOR_OPS)}", status=422)
    box = _validate_rect(rect)
    if box is None and flag_id:
        f = db.session.get(Flag, flag_id)
        box = f.rect if f is not None and f.variant_id == variant_id else None
    if box is None:
        raise ServiceError("mark an area (rect) to send to the generator", status=422)
    if op == "restyle" and not (prompt or "").strip():
        raise ServiceError("restyle needs a prompt", status=422)
    v = db.session.get(Variant, variant_id)
    if v is None:
        raise NotFound(f"variant {variant_id} does not exist")
    queued = uses_gpu_queue()
    fix = FixRequest(variant_id=v.id, flag_id=flag_id, kind=op, from_revision=v.revision, rect=box,
                     prompt=(prompt or "").strip() or None, actor=user.username,
                     status="queued" if queued else "running")
    db.session.add(fix)
    db.session.flush()
    _record(user.username, v, v.revision, f"generator_{op}", v.status, v.status, flag_id=flag_id,
            fix_request_id=fix.id, rect=box)
    db.session.commit()
    if queued:
        enqueue_generator_edit(fix)
    else:
        _finish_edit(fix, v)
    db.session.refresh(fix)
    return fix


def edit_job_id(fix: FixRequest) -> str:
    return edit_job_id_of(fix.id)


def edit_job_id_of(fix_id: int) -> str:
    """The RQ job id of a generator edit (one job per fix request)."""
    from app.queueing import job_id_for

    return job_id_for(f"edit-{fix_id}")


def enqueue_generator_edit(fix: FixRequest) -> None:
    """On the `gpu` queue; Redis down is not an error (the reconciler enqueues queued edits)."""
    from redis.exceptions import RedisError

    from app.queueing import GPU, enqueue_once

    try:
        enqueue_once(GPU, "jobs.generate.edit_job", edit_job_id(fix), fix.id)
    except RedisError:
        logging.getLogger("marquee.review").warning("generator edit %s not enqueued; the reconciler will", fix.id)


def run_generator_edit(fix_id: int) -> str:
    """The GPU job's work: claim the queued edit (a duplicate job finds it taken) and run it."""
    res = db.session.execute(update(FixRequest).where(FixRequest.id == fix_id, FixRequest.status == "queued")
                             .values(status="running").execution_options(synchronize_session=False))
    db.session.commit()
    if res.rowcount != 1:
        return "skipped"
    fix = db.session.get(FixRequest, fix_id)
    db.session.refresh(fix)
    return _finish_edit(fix, db.session.get(Variant, fix.variant_id))


def _finish_edit(fix: FixRequest, v: Variant) -> str:
    if v.revision != fix.from_revision:
        fix.result = {"error": f"the variant moved on to revision {v.revision} before the edit ran"}
    else:
        fix.result = _run_generator(v, fix.kind, fix.rect, fix.prompt or "")
    fix.status = "failed" if fix.result.get("error") else ("done" if fix.result.get("key") else "recorded")
    db.session.commit()
    return fix.status


def accept_proposal(variant_id: int, fix_id: int, user: User) -> Variant:
    """Make a generator proposal the variant's next revision: its image becomes the revision's
    assets (encoded like a render, screened again) and the revision goes back to review.
    A later re-render starts from the key art again; the edit belongs to this revision."""
    from PIL import Image

    from ..render.encode import encode_all
    from . import blob_store
    from .rendering import screen_for, store_encodings

    fix = db.session.get(FixRequest, fix_id)
    if fix is None or fix.variant_id != variant_id:
        raise NotFound(f"fix request {fix_id} of variant {variant_id} does not exist")
    if fix.kind not in GENERATOR_OPS or not (fix.result or {}).get("key"):
        raise ServiceError(f"fix request {fix_id} has no proposal image to accept", status=422)
    v = db.session.get(Variant, variant_id)
    if fix.to_revision is not None:
        raise Conflict(f"fix request {fix_id} was already accepted as revision {fix.to_revision}",
                       current=_state(v))
    rev, before = fix.from_revision, v.status
    if (v.assets or {}).get("jpeg"):
        fix.result = {**fix.result, "from_jpeg": v.assets["jpeg"]}  # for the revision compare
    image = Image.open(io.BytesIO(blob_store().get(fix.result["key"]))).convert("RGB")
    assets = store_encodings(encode_all(image))
    screen = screen_for(image, v)
    report = dict(v.report or {})
    report["edit"] = {"op": fix.kind, "fix_request_id": fix.id, "rect": fix.rect, "prompt": fix.prompt,
                      "from_revision": rev, "backend": fix.result.get("backend")}
    report["screen"] = screen
    from .previews import store_preview

    report["preview"] = store_preview(image)
    # the old image's screen pre-flags give way to the edited image's own
    old = v.report or {}
    kept = [f for f in old.get("flags", []) if f not in (old.get("screen") or {}).get("pre_flags", [])]
    report["flags"] = kept + [f for f in screen["pre_flags"] if f not in kept]
    nv = _transition(variant_id, rev, FINISHED, dict(
        revision=rev + 1, status=S.IN_REVIEW.value, assets=assets, report=report, approved_by=None,
        approved_at=None, error=None, attempt=None, finished_at=utcnow(),
        generator={"revision": rev + 1, "op": fix.kind, "fix_request_id": fix.id,
                   "backend": fix.result.get("backend")}))
    fix.to_revision, fix.status = rev + 1, "accepted"
    if fix.flag_id:
        db.session.execute(update(Flag).where(Flag.id == fix.flag_id).values(status="addressed"))
    _record(user.username, nv, rev, "generator_accept", before, S.IN_REVIEW.value, flag_id=fix.flag_id,
            fix_request_id=fix.id, new_revision=rev + 1)
    db.session.commit()
    return nv


def _run_generator(v: Variant, op: str, box: dict[str, float], prompt: str) -> dict[str, Any]:
    """Run the configured generator (app.generate) on the revision's rendered image."""
    from PIL import Image, ImageDraw

    from . import blob_store
    from .generation import generator

    asset = (v.assets or {}).get("png") or (v.assets or {}).get("jpeg") or next(iter((v.assets or {}).values()), None)
    if asset is None:
        return {"note": "variant has no rendered image yet; request recorded"}
    store = blob_store()
    try:
        image = Image.open(io.BytesIO(store.get(asset["key"]))).convert("RGB")
        W, H = image.size
        rect = (round(box["x"] * W), round(box["y"] * H), round((box["x"] + box["w"]) * W),
                round((box["y"] + box["h"]) * H))
        gen = generator()  # the process's resident backend (the GPU worker's loaded model)
        if op == "remove":
            mask = Image.new("L", image.size, 0)
            ImageDraw.Draw(mask).rectangle(rect, fill=255)
            out = gen.remove(image, mask).image
        else:
            region = image.crop(rect)
            styled = gen.restyle(region, prompt).image.resize(region.size)
            out = image.copy()
            out.paste(styled, rect[:2])
        buf = io.BytesIO()
        out.convert("RGB").save(buf, "PNG")
        return {"key": store.put(buf.getvalue()), "mime": "image/png", "backend": gen.describe()}
    except Exception as exc:  # the fix request records the failure; the review goes on
        return {"error": f"{type(exc).__name__}: {exc}"}


# --- reading ------------------------------------------------------------------------------------

def visible_variants(user: User, request_id: int | None = None, statuses: tuple[str, ...] | None = None
                     ) -> list[Variant]:
    q = select(Variant).order_by(Variant.request_id, Variant.locale, Variant.format)
    if request_id is not None:
        q = q.where(Variant.request_id == request_id)
    if statuses:
        q = q.where(Variant.status.in_(statuses))
    return [v for v in db.session.scalars(q) if user.sees_locale(v.locale)]


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


#: Pre-flag of a render whose requested text zone the renderer refused (marketing must choose again).
REFUSED_OVERRIDE = "text_zone_override_refused"


def fix_reason(v: Variant) -> str | None:
    """Why a variant waits for marketing: 'flagged', 'failed', 'override_refused', or None."""
    if v.status == S.CHANGES_REQUESTED.value:
        return "flagged"
    if v.status == S.FAILED.value:
        return "failed"
    if v.status in DECIDABLE and REFUSED_OVERRIDE in ((v.report or {}).get("flags") or []):
        return "override_refused"
    return None


def fix_inbox(user: User) -> list[Variant]:
    """Marketing's "Needs my fix": flagged, failed, and refused overrides, in that order."""
    order = {"flagged": 0, "failed": 1, "override_refused": 2}
    items = [v for v in visible_variants(user, statuses=(S.CHANGES_REQUESTED.value, S.FAILED.value, *DECIDABLE))
             if fix_reason(v)]
    return sorted(items, key=lambda v: (order[fix_reason(v)], v.updated_at or v.finished_at, v.id))


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


# --- inputs changed under an approved revision ----------------------------------------------------

def _inputs_changed(session, _flush_context) -> None:
    """after_flush: a localized title/tagline or a release rating that changed sends every
    variant built from it that was approved (or waiting for review) back: changes_requested,
    approval cleared, with an audit event. Written on the flush's own connection, so it commits
    or rolls back with the change itself."""
    from sqlalchemy import inspect, insert

    from ..models import TitleLocalization, TitleRelease

    targets: list[tuple[str, Any, str]] = []
    for obj in session.dirty:
        if isinstance(obj, TitleLocalization):
            fields = ("title", "tagline")
        elif isinstance(obj, TitleRelease):
            fields = ("age_rating", "release_date")
        else:
            continue
        state = inspect(obj)
        changed = [f for f in fields if state.attrs[f].history.has_changes()]
        if changed:
            targets.append((type(obj).__name__, obj, ",".join(changed)))
    if not targets:
        return
    conn = session.connection()
    back = (S.APPROVED.value, S.IN_REVIEW.value, S.RENDERED.value)
    for kind, obj, changed in targets:
        rows = conn.execute(select(Variant.id, Variant.revision, Variant.status, Variant.locale)
                            .join(RenderRequest).where(RenderRequest.title_id == obj.title_id,
                                                       Variant.status.in_(back))).all()
        for vid, rev, status, locale in rows:
            hit = locale == obj.locale if kind == "TitleLocalization" else locale.upper().endswith("-" + obj.region.upper())
            if not hit:
                continue
            res = conn.execute(update(Variant).where(Variant.id == vid, Variant.revision == rev,
                                                     Variant.status == status)
                               .values(status=S.CHANGES_REQUESTED.value, approved_by=None, approved_at=None))
            if res.rowcount == 1:
                conn.execute(insert(AuditEvent).values(
                    actor="system", action="review.inputs_changed", entity_type="variant", entity_id=vid,
                    revision=rev, state_before=status, state_after=S.CHANGES_REQUESTED.value,
                    detail={"input": kind, "fields": changed}, created_at=utcnow()))
                if status == S.APPROVED.value:
                    _approval_withdrawn(vid, conn)


def install_input_watch() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_flush", _inputs_changed):
        event.listen(Session, "after_flush", _inputs_changed)


install_input_watch()
