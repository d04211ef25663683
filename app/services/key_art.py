"""Key-art ingest: validate fully before anything is written, then store content-addressed."""
from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from ..extensions import db
from ..models import KeyArt, Title
from ..render.decode import DecodeError, decode
from . import NotFound, ServiceError, blob_store


def ingest_key_art(title: Title, filename: str, data: bytes) -> tuple[KeyArt, bool]:
    """Store original bytes as sent and an sRGB PNG working copy; returns (key_art, created)."""
    try:
        decoded = decode(data)
    except DecodeError as exc:
        raise ServiceError(str(exc), status=422) from None
    sha = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(KeyArt).where(KeyArt.title_id == title.id, KeyArt.sha256 == sha))
    if existing:
        return existing, False
    buf = io.BytesIO()
    decoded.image.save(buf, "PNG", compress_level=1)
    store = blob_store()
    original_key = store.put(data)
    working_key = store.put(buf.getvalue())
    art = KeyArt(title_id=title.id, filename=filename[:255] or "key-art", mime=decoded.mime, sha256=sha,
                 size_bytes=len(data), width=decoded.width, height=decoded.height,
                 color_profile=decoded.icc_profile, original_key=original_key, working_key=working_key)
    db.session.add(art)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return art, True


def get_key_art(key_art_id: int) -> KeyArt:
    art = db.session.get(KeyArt, key_art_id)
    if art is None:
        raise NotFound(f"key art {key_art_id} does not exist")
    return art
