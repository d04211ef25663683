"""The pull feed: approved revisions in the order their changes committed (approved, exported to
a target, superseded by a newer approval), with their files' checksums and URLs. Integrations
ask for what changed since their cursor."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Connection, insert, select, update

from ...extensions import db
from ...models import Export, FeedCounter, FeedEntry, Variant
from .. import ServiceError
from . import queries
from .records import APPROVED, iso


def next_feed_seq(conn: Connection | None = None) -> int:
    """The next feed sequence number. The UPDATE locks the counter row until this transaction
    commits, so numbers become visible in commit order (keep the rest of the transaction short)."""
    conn = conn if conn is not None else db.session.connection()
    value = conn.execute(update(FeedCounter).where(FeedCounter.id == 1)
                         .values(value=FeedCounter.value + 1).returning(FeedCounter.value)).scalar()
    if value is None:  # a database created without the migrations' seed row
        conn.execute(insert(FeedCounter).values(id=1, value=1))
        value = 1
    return int(value)


def touch_feed(variant_id: int, revision: int | None = None, conn: Connection | None = None) -> None:
    """Move the variant's feed entries (or one revision's) to the end of the feed, so pullers
    asking for changes since their cursor see them again (new URLs, or no longer current). Runs in
    the caller's transaction (`conn`: a flush hook's connection)."""
    conn = conn if conn is not None else db.session.connection()
    q = select(FeedEntry.id).where(FeedEntry.variant_id == variant_id).order_by(FeedEntry.revision)
    if revision is not None:
        q = q.where(FeedEntry.revision == revision)
    for entry_id in conn.execute(q).scalars().all():
        conn.execute(update(FeedEntry).where(FeedEntry.id == entry_id).values(seq=next_feed_seq(conn)))


def record_approval(variant: Variant) -> None:
    """Put the approved revision on the feed, once; the variant's older revisions stop being
    current, so they move to the end of the feed too."""
    exists = db.session.scalar(select(FeedEntry.id).where(FeedEntry.variant_id == variant.id,
                                                          FeedEntry.revision == variant.revision))
    if exists is None:
        touch_feed(variant.id)
        db.session.add(FeedEntry(variant_id=variant.id, revision=variant.revision, seq=next_feed_seq()))
        db.session.commit()


def _file(encoding: str, a: dict[str, Any], download_url: str | None) -> dict[str, Any]:
    return {"encoding": encoding, "mime": a["mime"], "bytes": a["bytes"], "sha256": a["sha256"],
            "download_url": download_url, "urls": {}}


def _files(v: Variant, current: bool, exports: list[Export]) -> list[dict[str, Any]]:
    """The revision's files: downloadable here while it is current, and where each target put them."""
    files: dict[str, dict] = {}
    if current:
        for encoding, a in (v.assets or {}).items():
            files[encoding] = _file(encoding, a, url_for("variants.VariantImage", variant_id=v.id, kind=encoding,
                                                         _external=True))
    for e in exports:
        for encoding, a in e.result["assets"].items():
            files.setdefault(encoding, _file(encoding, a, None))["urls"][e.target.name] = a["url"]
    return [files[k] for k in sorted(files)]


def feed(cursor: int = 0, limit: int = 100) -> dict[str, Any]:
    """Approved revisions that changed after `cursor`, in the order the changes committed, and the
    cursor to ask from next time."""
    if cursor < 0 or not 1 <= limit <= 1000:
        raise ServiceError("cursor must be >= 0 and limit between 1 and 1000", status=422)
    rows = queries.feed_entries(cursor, limit)
    exported = queries.done_storage_exports([(row.variant_id, row.revision) for row in rows])
    items = []
    for row in rows:
        v = row.variant
        current = v.revision == row.revision and v.status == APPROVED
        items.append({"cursor": row.seq, "variant_id": v.id, "request_id": v.request_id,
                      "title": v.request.title.slug, "locale": v.locale, "format": v.format,
                      "revision": row.revision, "current": current,
                      "approved_at": iso(getattr(v, "approved_at", None) if current else row.created_at),
                      "approved_by": getattr(v, "approved_by", None) if current else None,
                      "files": _files(v, current, exported.get((v.id, row.revision), []))})
    return {"items": items, "next_cursor": rows[-1].seq if rows else cursor}
