"""Encodings on demand: a render stores the JPEG master; WebP and AVIF are made when first asked for.

The derived blob is content-addressed in the blob store like every other blob; the variant's
`assets` records it beside the master (with the master's sha256 and the encoder version it was
made from), so the second request, export or worker finds it instead of encoding again. The
record is written only while the variant still holds the revision and render it was made from.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

from redis.exceptions import RedisError
from sqlalchemy import update

from ..extensions import db
from ..models import Variant
from ..queueing import job_id_for, redis_conn
from ..render.encode import DERIVE_VERSION, DERIVED, MASTER, derive
from . import blob_store

#: What an export target delivers when it names no encodings: the master and WebP (what every
#: target delivered before AVIF existed; an AVIF costs seconds to make, so a target asks for it).
DEFAULT_DELIVERY = (MASTER, "webp")
#: How long a deriver holds its lock at most (an AVIF of a 24 MP-sized master takes seconds) and
#: how long another waits for it before deriving itself.
DERIVE_LOCK_S, DERIVE_WAIT_S = 120, 60
log = logging.getLogger("marquee.encodings")


def offered(assets: dict[str, Any] | None) -> list[str]:
    """Every encoding a client may ask for: what is stored, plus what can be derived from the master."""
    assets = assets or {}
    kinds = list(assets)
    if MASTER in assets:
        kinds += [k for k in DERIVED if k not in assets]
    return kinds


def _current(meta: dict, master: dict) -> bool:
    return meta.get("from") is None or (meta.get("from") == master["sha256"] and meta.get("v") == DERIVE_VERSION)


def _recorded(variant: Variant, kind: str) -> dict | None:
    """The variant's current record of `kind`, if it has one."""
    assets = variant.assets or {}
    master, have = assets.get(MASTER), assets.get(kind)
    return have if have is not None and (master is None or _current(have, master)) else None


@contextmanager
def _one_deriver(master_sha: str, kind: str) -> Iterator[None]:
    """Held while one process derives from this master, so two exports (or an export and an API
    call) asking at once encode `kind` once: the second waits, then finds the record. One lock
    per master, not per kind: the record of one kind is merged into the variant's assets as they
    are, which must not race the record of another. Without Redis, or after DERIVE_WAIT_S, it
    derives anyway (the blob is content-addressed, so a second encode stores nothing new)."""
    try:
        lock = redis_conn().lock(f"{job_id_for('derive')}:{master_sha}", timeout=DERIVE_LOCK_S,
                                 blocking_timeout=DERIVE_WAIT_S)
        held = lock.acquire()
    except RedisError:
        log.warning("no lock for deriving %s from %s: Redis unavailable", kind, master_sha[:12])
        held = False
    try:
        yield
    finally:
        if held:
            try:
                lock.release()
            except RedisError:  # expired or Redis gone: the lock lapses by itself
                pass


def asset(variant: Variant, kind: str) -> dict | None:
    """The stored encoding `kind` of the variant's revision, deriving (and recording) it from
    the master when it is a derived kind not made yet; None when there is nothing to serve."""
    have = _recorded(variant, kind)
    if have is not None:
        return have
    master = (variant.assets or {}).get(MASTER)
    if kind not in DERIVED or master is None:
        return None
    made_by = (variant.revision, variant.render_count)
    with _one_deriver(master["sha256"], kind):
        db.session.refresh(variant)   # another process may have made it while this one waited
        have = _recorded(variant, kind)
        if have is not None and (variant.assets or {}).get(MASTER) == master:
            return have
        return _derive_and_record(variant, kind, master, made_by)


def _derive_and_record(variant: Variant, kind: str, master: dict, made_by: tuple[int, int]) -> dict:
    """Encode `kind` from the master and record it beside it, only while the variant still holds
    the render (revision, render_count) the master came from."""
    enc = derive(blob_store().get(master["key"]), kind)
    meta = {"key": blob_store().put(enc.data), "sha256": enc.sha256, "bytes": len(enc.data), "mime": enc.mime,
            "ext": enc.ext, "from": master["sha256"], "v": DERIVE_VERSION}
    revision, render_count = made_by
    # A re-render or an accepted edit moves revision or render_count, and its own master is
    # derived again when asked for; the record merges into the assets as they are now.
    db.session.refresh(variant)
    if (variant.revision, variant.render_count) == made_by:
        db.session.execute(update(Variant).where(
            Variant.id == variant.id, Variant.revision == revision,
            Variant.render_count == render_count).values(assets={**(variant.assets or {}), kind: meta})
            .execution_options(synchronize_session=False))
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
