"""Marketing's fix by generator: the marked area of a revision is sent to the generator (remove
or restyle) and the result is kept with the fix request as a proposal image (see proposals for
making it the next revision).

With a model configured the edit runs on the `gpu` queue, where the weights stay resident
(status "queued", then "done" or "failed"); the classical backend is cheap and runs in the
request that asked for it."""
from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import update

from app import queueing

from ...extensions import db
from ...models import FixRequest, Flag, User, Variant
from ...render.review_pixels import edit_area, open_rgb, png_bytes
from .. import ServiceError, blob_store
from ..generation import generator, uses_gpu_queue
from ..requests import get_variant
from ..review_states import GENERATOR_OPS
from .transitions import record
from .validation import checked_rect

log = logging.getLogger("marquee.review")


def generator_edit(variant_id: int, user: User, *, op: str, rect: dict[str, Any] | None,
                   prompt: str = "", flag_id: int | None = None) -> FixRequest:
    """Send the marked area to the generator (remove or restyle); a flag's rectangle stands in
    when none is marked. Returns the fix request (queued, or already finished)."""
    if op not in GENERATOR_OPS:
        raise ServiceError(f"op must be one of {', '.join(GENERATOR_OPS)}", status=422)
    box = checked_rect(rect)
    if box is None and flag_id:
        f = db.session.get(Flag, flag_id)
        box = f.rect if f is not None and f.variant_id == variant_id else None
    if box is None:
        raise ServiceError("mark an area (rect) to send to the generator", status=422)
    if op == "restyle" and not (prompt or "").strip():
        raise ServiceError("restyle needs a prompt", status=422)
    v = get_variant(variant_id)
    queued = uses_gpu_queue()
    fix = FixRequest(variant_id=v.id, flag_id=flag_id, kind=op, from_revision=v.revision, rect=box,
                     prompt=(prompt or "").strip() or None, actor=user.username,
                     status="queued" if queued else "running")
    db.session.add(fix)
    db.session.flush()
    record(user.username, v, v.revision, f"generator_{op}", v.status, v.status, flag_id=flag_id,
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
    return queueing.job_id_for(f"edit-{fix_id}")


def enqueue_generator_edit(fix: FixRequest) -> None:
    """On the `gpu` queue; Redis down is not an error (the reconciler enqueues queued edits)."""
    try:
        queueing.enqueue_once(queueing.GPU, "jobs.generate.edit_job", edit_job_id(fix), fix.id)
    except RedisError:
        log.warning("generator edit %s not enqueued; the reconciler will", fix.id)


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


def _run_generator(v: Variant, op: str, box: dict[str, float], prompt: str) -> dict[str, Any]:
    """Run the configured generator (app.generate) on the revision's rendered image; the fix
    request records a failure and the review goes on."""
    assets = v.assets or {}
    asset = assets.get("png") or assets.get("jpeg") or next(iter(assets.values()), None)
    if asset is None:
        return {"note": "variant has no rendered image yet; request recorded"}
    store = blob_store()
    try:
        image = open_rgb(store.get(asset["key"]))
        gen = generator()  # the process's resident backend (the GPU worker's loaded model)
        out = edit_area(image, op, box, prompt, gen)
        return {"key": store.put(png_bytes(out)), "mime": "image/png", "backend": gen.describe()}
    except Exception as exc:  # noqa: BLE001 - the fix request records the failure; the review goes on
        return {"error": f"{type(exc).__name__}: {exc}"}
