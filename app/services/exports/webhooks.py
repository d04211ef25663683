"""Webhooks fire after the assets: once every storage export of a revision is done, its waiting
webhook exports are released, each with a delivery whose id and body are fixed from then on, so
every retry sends the same event."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import select, update

from ...export.protocol import TargetError
from ...export.webhook import WebhookTarget
from ...extensions import db
from ...models import Export, ExportManifest, ExportTarget, Variant, WebhookDelivery
from ...models.base import utcnow
from ...models.export import STORAGE_KINDS, ExportStatus
from .. import encodings
from . import queries
from .backoff import attempt
from .claims import finish
from .enqueue import enqueue
from .records import APPROVED, grace_left, iso

EVENT_TYPE = "asset.exported"


def _manifest_urls(exports: list[Export]) -> dict[str, str]:
    """Target name -> URL of the request's published manifest there."""
    out = {}
    for e in exports:
        m = db.session.scalar(select(ExportManifest).where(ExportManifest.target_id == e.target_id,
                                                           ExportManifest.request_id == e.request_id))
        if m is not None and m.url:
            out[e.target.name] = m.url
    return out


def event_body(variant_id: int, revision: int, kinds: list[str] | None = None) -> str:
    """What a webhook announces: one approved revision, its files and where each target put them
    (when no storage target took it: its files in `kinds`, the webhook target's encodings)."""
    exports = queries.done_storage_exports([(variant_id, revision)]).get((variant_id, revision), [])
    variant = db.session.get(Variant, variant_id)
    files: dict[str, dict] = {}
    for e in exports:
        for encoding, a in e.result["assets"].items():
            entry = files.setdefault(encoding, {"encoding": encoding, "mime": a["mime"], "bytes": a["bytes"],
                                                "sha256": a["sha256"], "urls": {}})
            entry["urls"][e.target.name] = a["url"]
    if not files:  # no storage target matched: announce the files themselves
        for encoding, a in sorted(encodings.delivery(variant, kinds).items()):
            files[encoding] = {"encoding": encoding, "mime": a["mime"], "bytes": a["bytes"], "sha256": a["sha256"],
                               "urls": {}}
    data = {"variant_id": variant.id, "request_id": variant.request_id, "title": variant.request.title.slug,
            "locale": variant.locale, "format": variant.format, "revision": revision,
            "size": f"{variant.width}x{variant.height}", "approved_by": getattr(variant, "approved_by", None),
            "approved_at": iso(getattr(variant, "approved_at", None)),
            "files": [files[k] for k in sorted(files)], "manifests": _manifest_urls(exports)}
    return json.dumps({"type": EVENT_TYPE, "timestamp": utcnow().isoformat(), "data": data}, sort_keys=True)


def _assets_out(variant_id: int, revision: int) -> bool:
    """Every storage export of the revision is done (true when there is none)."""
    storage = db.session.scalars(select(Export.status).join(ExportTarget).where(
        Export.variant_id == variant_id, Export.revision == revision, ExportTarget.kind.in_(STORAGE_KINDS))).all()
    return all(s == ExportStatus.DONE.value for s in storage)


def release_webhooks(variant_id: int, revision: int) -> int:
    """Make the revision's waiting webhook exports pending, with their deliveries, and enqueue
    them; returns how many. Nothing while the assets are not all out, the revision is no longer
    the approved one, or the undo grace is running (the reconciler comes back)."""
    variant = db.session.get(Variant, variant_id)
    if variant is None or variant.status != APPROVED or variant.revision != revision or grace_left(variant) > 0:
        return 0
    if not _assets_out(variant_id, revision):
        return 0
    waiting = db.session.scalars(select(Export).where(Export.variant_id == variant_id, Export.revision == revision,
                                                      Export.status == ExportStatus.WAITING.value)).all()
    released = []
    for w in waiting:
        res = db.session.execute(update(Export).where(Export.id == w.id, Export.status == ExportStatus.WAITING.value)
                                 .values(status=ExportStatus.PENDING.value))
        if res.rowcount != 1:
            db.session.rollback()
            continue
        db.session.add(WebhookDelivery(id=f"msg_{uuid.uuid4().hex}", export_id=w.id, event_type=EVENT_TYPE,
                                       body=event_body(variant_id, revision, w.target.encodings), status="pending",
                                       tries=0))
        db.session.commit()
        db.session.refresh(w)
        released.append(w)
    enqueue(released)
    return len(released)


def deliver_webhook(exp: Export, target: WebhookTarget, token: str) -> bool:
    """Send the export's delivery (same id and body on every try) and record the answer."""
    delivery = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.export_id == exp.id)).one()

    def record(err: TargetError) -> None:
        delivery.tries += 1
        delivery.response_status, delivery.error = err.status, str(err)

    try:
        status = attempt(exp, token, lambda: target.send(delivery.id, delivery.body.encode()), on_error=record)
    except TargetError:
        delivery.status = "failed"
        db.session.commit()
        raise
    delivery.tries += 1
    delivery.status, delivery.response_status, delivery.error = "delivered", status, None
    delivery.delivered_at = utcnow()
    db.session.commit()
    return finish(exp.id, token, ExportStatus.DONE.value, tries=delivery.tries, sent=1)


def supersede_webhooks(variant_id: int, revision: int) -> None:
    """The revision will not go out: its waiting webhooks never fire."""
    db.session.execute(update(Export).where(Export.variant_id == variant_id, Export.revision == revision,
                                            Export.status == ExportStatus.WAITING.value)
                       .values(status=ExportStatus.SUPERSEDED.value, error="the revision was superseded"))
    db.session.commit()
