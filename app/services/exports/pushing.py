"""The files of an approved revision pushed to a storage target, one object per encoding, under
content-addressed keys. The export's result grows with each file, so a re-run (or the manifest)
knows what already reached the target."""
from __future__ import annotations

from typing import Any

from ...export.protocol import IMMUTABLE, Asset, Target
from ...extensions import db
from ...models import Export, Variant
from .. import blob_store, encodings
from .backoff import attempt
from .claims import beat
from .records import APPROVED, iso


class ExportImpossible(Exception):
    """The revision cannot be exported as it is (no encoded files)."""


class Superseded(ExportImpossible):
    """The revision was re-rendered or un-approved before its export ran: nothing to send, not a failure."""


def asset_key(slug: str, locale: str, fmt: str, sha256: str, ext: str) -> str:
    """Content-addressed: a new revision gets new keys, so caching forever is safe."""
    return f"{slug}/{locale}/{fmt}/{sha256[:16]}.{ext}"


def _still_current(exp: Export) -> Variant:
    """The export's variant, read again; Superseded if it moved on or is no longer approved."""
    variant = exp.variant
    db.session.refresh(variant)
    if variant.revision != exp.revision:
        raise Superseded(f"variant {variant.id} moved on to revision {variant.revision} before revision "
                         f"{exp.revision} was exported")
    if variant.status != APPROVED:
        raise Superseded(f"variant {variant.id} is {variant.status}, no longer approved")
    return variant


def _result(variant: Variant, pushed: dict[str, dict]) -> dict[str, Any]:
    """What the export records: the revision's approval and the files at the target so far."""
    return {"locale": variant.locale, "format": variant.format, "width": variant.width, "height": variant.height,
            "approved_by": getattr(variant, "approved_by", None),
            "approved_at": iso(getattr(variant, "approved_at", None)), "assets": dict(pushed)}


def push_assets(exp: Export, target: Target, token: str) -> None:
    """Put the encodings the target delivers at it (derived ones made once, on demand)."""
    variant = _still_current(exp)
    slug = variant.request.title.slug
    store = blob_store()
    pushed: dict[str, dict] = {}
    sent = exp.sent
    for kind, meta in sorted(encodings.delivery(variant, exp.target.encodings).items()):
        beat(exp.id, token)
        asset = Asset(key=asset_key(slug, variant.locale, variant.format, meta["sha256"], meta.get("ext", kind)),
                      data=store.get(meta["key"]), sha256=meta["sha256"], content_type=meta["mime"],
                      cache_control=IMMUTABLE)
        res = attempt(exp, token, lambda: target.put(asset))
        sent += int(res.sent)
        pushed[kind] = {"key": asset.key, "url": res.url, "sha256": asset.sha256, "bytes": len(asset.data),
                        "mime": asset.content_type, "sent": res.sent}
        result = _result(variant, pushed)
        beat(exp.id, token, sent=sent, result=result)
    if not pushed:
        raise ExportImpossible(f"variant {variant.id} has no encoded files")
    # Every file is at the target now: from here on the revision belongs in the manifest, even while
    # a later re-run of this export is pending.
    beat(exp.id, token, result={**result, "complete": True})
