"""The manifest of a request at one storage target: every file of its approved variants that
reached the target, published as JSON after each export, under a lock kept in the database (not
in Redis, which may be restarting). The last writer is complete: it reads every export under
the lock."""
from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Iterator

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ...export.protocol import MUTABLE, Asset, Target, TargetError
from ...extensions import db
from ...models import Export, ExportManifest, ExportTarget, RenderRequest
from ...models.base import utcnow
from .backoff import attempt
from .claims import beat


def manifest_key(slug: str, request_id: int) -> str:
    return f"{slug}/manifests/request-{request_id}.json"


def _manifest_entries(r: Export) -> list[dict[str, Any]]:
    res = r.result
    return [{"variant_id": r.variant_id, "revision": r.revision, "locale": res["locale"], "format": res["format"],
             "encoding": encoding, "size": f"{res['width']}x{res['height']}", "width": res["width"],
             "height": res["height"], "mime": a["mime"], "bytes": a["bytes"], "sha256": a["sha256"], "url": a["url"],
             "approved_by": res["approved_by"], "approved_at": res["approved_at"]}
            for encoding, a in sorted(res["assets"].items())]


def build_manifest(target: ExportTarget, request_id: int) -> dict[str, Any]:
    """The request's manifest at one target, from the database: per variant, the latest revision whose
    files all reached the target (whatever the export's status now: a pending re-run keeps its place)."""
    req = db.session.get(RenderRequest, request_id)
    rows = db.session.scalars(select(Export).where(Export.target_id == target.id, Export.request_id == request_id,
                                                   Export.result.is_not(None)))
    latest: dict[int, Export] = {}
    for r in rows:
        if not (r.result or {}).get("complete"):
            continue
        if r.variant_id not in latest or r.revision > latest[r.variant_id].revision:
            latest[r.variant_id] = r
    assets = [entry for r in latest.values() for entry in _manifest_entries(r)]
    assets.sort(key=lambda a: (a["locale"], a["format"], a["encoding"]))
    return {"manifest_version": 1, "request_id": request_id, "title": req.title.slug, "target": target.name,
            "assets": assets}


def _ensure_row(target_id: int, request_id: int) -> None:
    """The manifest's row, created once (another publisher may create it at the same moment)."""
    where = (ExportManifest.target_id == target_id, ExportManifest.request_id == request_id)
    if db.session.scalar(select(ExportManifest.id).where(*where)) is None:
        try:
            db.session.add(ExportManifest(target_id=target_id, request_id=request_id, entries=0))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()


@contextmanager
def manifest_lock(target_id: int, request_id: int, holder: str, wait_s: float = 120.0) -> Iterator[ExportManifest]:
    """One publisher per manifest at a time; the lock expires after `wait_s` if its holder died."""
    where = (ExportManifest.target_id == target_id, ExportManifest.request_id == request_id)
    _ensure_row(target_id, request_id)
    deadline = time.monotonic() + wait_s
    while True:
        now = utcnow()
        res = db.session.execute(update(ExportManifest).where(
            *where, or_(ExportManifest.lock_holder.is_(None), ExportManifest.lock_expires < now))
            .values(lock_holder=holder, lock_expires=now + timedelta(seconds=wait_s)))
        db.session.commit()
        if res.rowcount == 1:
            break
        if time.monotonic() > deadline:
            raise TargetError("timed out waiting for the manifest lock", retryable=True)
        time.sleep(0.1)
    try:
        yield db.session.scalars(select(ExportManifest).where(*where)).one()
    finally:
        db.session.rollback()
        db.session.execute(update(ExportManifest).where(*where, ExportManifest.lock_holder == holder)
                           .values(lock_holder=None, lock_expires=None))
        db.session.commit()


def publish_manifest(exp: Export, target: Target, token: str) -> None:
    """Under the lock, read every done export of the request and publish the manifest."""
    with manifest_lock(exp.target_id, exp.request_id, token) as row:
        db.session.refresh(exp)
        manifest = build_manifest(exp.target, exp.request_id)
        body = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode()
        asset = Asset(key=manifest_key(manifest["title"], exp.request_id), data=body,
                      sha256=hashlib.sha256(body).hexdigest(), content_type="application/json",
                      cache_control=MUTABLE)
        beat(exp.id, token)
        res = attempt(exp, token, lambda: target.put(asset))
        row.key, row.url, row.sha256 = asset.key, res.url, asset.sha256
        row.entries, row.published_at = len(manifest["assets"]), utcnow()
        db.session.commit()
