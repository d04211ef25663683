"""Making a generator proposal the variant's next revision: its image becomes the revision's
assets (encoded like a render, screened again) and the revision goes back to review.

A later re-render starts from the key art again; the edit belongs to this revision."""
from __future__ import annotations

from typing import Any

from PIL import Image

from ...extensions import db
from ...models import FixRequest, User, Variant
from ...models.base import utcnow
from ...render.encode import encode_all
from ...render.review_pixels import open_rgb
from .. import Conflict, NotFound, ServiceError, blob_store
from ..previews import store_preview
from ..rendering import screen_for, store_encodings
from .fixes import mark_flag_addressed
from ..review_states import FINISHED, GENERATOR_OPS, S
from .transitions import record, state_of, transition


def accept_proposal(variant_id: int, fix_id: int, user: User) -> Variant:
    """The proposal of fix request `fix_id` becomes revision + 1, in review, with no approval."""
    fix = _acceptable(variant_id, fix_id)
    v = db.session.get(Variant, variant_id)
    if fix.to_revision is not None:
        raise Conflict(f"fix request {fix_id} was already accepted as revision {fix.to_revision}",
                       current=state_of(v))
    rev, before = fix.from_revision, v.status
    if (v.assets or {}).get("jpeg"):
        fix.result = {**fix.result, "from_jpeg": v.assets["jpeg"]}  # for the revision compare
    image = open_rgb(blob_store().get(fix.result["key"]))
    assets = store_encodings(encode_all(image))
    nv = transition(variant_id, rev, FINISHED, dict(
        revision=rev + 1, status=S.IN_REVIEW.value, assets=assets, report=_edited_report(v, fix, image),
        approved_by=None, approved_at=None, error=None, attempt=None, finished_at=utcnow(),
        generator={"revision": rev + 1, "op": fix.kind, "fix_request_id": fix.id,
                   "backend": fix.result.get("backend")}))
    fix.to_revision, fix.status = rev + 1, "accepted"
    if fix.flag_id:
        mark_flag_addressed(fix.flag_id)
    record(user.username, nv, rev, "generator_accept", before, S.IN_REVIEW.value, flag_id=fix.flag_id,
           fix_request_id=fix.id, new_revision=rev + 1)
    db.session.commit()
    return nv


def _acceptable(variant_id: int, fix_id: int) -> FixRequest:
    """The fix request, if it belongs to the variant and holds a proposal image."""
    fix = db.session.get(FixRequest, fix_id)
    if fix is None or fix.variant_id != variant_id:
        raise NotFound(f"fix request {fix_id} of variant {variant_id} does not exist")
    if fix.kind not in GENERATOR_OPS or not (fix.result or {}).get("key"):
        raise ServiceError(f"fix request {fix_id} has no proposal image to accept", status=422)
    return fix


def _edited_report(v: Variant, fix: FixRequest, image: Image.Image) -> dict[str, Any]:
    """The revision's report with the edit, its own screen, preview and pre-flags: the old
    image's screen pre-flags give way to the edited image's own."""
    screen = screen_for(image, v)
    report = dict(v.report or {})
    report["edit"] = {"op": fix.kind, "fix_request_id": fix.id, "rect": fix.rect, "prompt": fix.prompt,
                      "from_revision": fix.from_revision, "backend": fix.result.get("backend")}
    report["screen"] = screen
    report["preview"] = store_preview(image)
    old = v.report or {}
    kept = [f for f in old.get("flags", []) if f not in (old.get("screen") or {}).get("pre_flags", [])]
    report["flags"] = kept + [f for f in screen["pre_flags"] if f not in kept]
    return report
