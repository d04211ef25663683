"""Encodings on demand: a render stores the JPEG master; WebP and AVIF are made when first asked for.

The derived blob is content-addressed in the blob store like every other blob; the variant's
`assets` records it beside the master (with the master's sha256 and the encoder version it was
made from), so the second request, export or worker finds it instead of encoding again. The
record is written only while the variant still holds the revision and render it was made from.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import update

from ..extensions import db
from ..models import Variant
from ..render.encode import DERIVE_VERSION, DERIVED, MASTER, derive
from . import blob_store

#: What an export target delivers when it names no encodings: the master and WebP (what every
#: target delivered before AVIF existed; an AVIF costs seconds to make, so a target asks for it).
DEFAULT_DELIVERY = (MASTER, "webp")


def offered(assets: dict[str, Any] | None) -> list[str]:
    """Every encoding a client may ask for: what is stored, plus what can be derived from the master."""
    assets = assets or {}
    kinds = list(assets)
    if MASTER in assets:
        kinds += [k for k in DERIVED if k not in assets]
    return kinds


def _current(meta: dict, master: dict) -> bool:
    return meta.get("from") is None or (meta.get("from") == master["sha256"] and meta.get("v") == DERIVE_VERSION)


def asset(variant: Variant, kind: str) -> dict | None:
    """The stored encoding `kind` of the variant's revision, deriving (and recording) it from
    the master when it is a derived kind not made yet; None when there is nothing to serve."""
    assets = dict(variant.assets or {})
    master = assets.get(MASTER)
    have = assets.get(kind)
    if have is not None and (master is None or _current(have, master)):
        return have
    if kind not in DERIVED or master is None:
        return None
    enc = derive(blob_store().get(master["key"]), kind)
    meta = {"key": blob_store().put(enc.data), "sha256": enc.sha256, "bytes": len(enc.data), "mime": enc.mime,
            "ext": enc.ext, "from": master["sha256"], "v": DERIVE_VERSION}
    assets[kind] = meta
    # Record it only on the render it was made from: a re-render or an accepted edit moves
    # revision or render_count, and its own master is derived again when asked for.
    db.session.execute(update(Variant).where(
        Variant.id == variant.id, Variant.revision == variant.revision,
        Variant.render_count == variant.render_count).values(assets=assets).execution_options(
        synchronize_session=False))
    db.session.commit()
    return meta


def delivery(variant: Variant, kinds: tuple[str, ...] | list[str] | None = None) -> dict[str, dict]:
    """The encodings an export delivers (`kinds`, by default DEFAULT_DELIVERY) that the variant
    has or can derive, deriving what is missing."""
    wanted = set(kinds or DEFAULT_DELIVERY)
    out = {}
    for kind in offered(variant.assets):
        if kind not in wanted:
            continue
        meta = asset(variant, kind)
        if meta is not None:
            out[kind] = meta
    return out
