"""Key-art ingest: validate fully before anything is written, then store content-addressed.

The policy is checked on the header first (cheap refusals for 1x60000 and bombs), then the
whole file is decoded: a key art that cannot be decoded to its last byte is refused too. Once
stored, its analysis goes on the render queue (app.services.sources), so that renders never
analyse it in a web request or race each other to do it.
"""
from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from ..extensions import db
from ..models import KeyArt, Title
from ..render.decode import MAX_PIXELS, DecodeError, Decoded, decode, probe
from . import NotFound, ServiceError, blob_store
from .sources import analyse_soon

#: Below this on the short side no format renders acceptably (a 1080 px square is 3.6x up).
MIN_SHORT_SIDE = 300
#: Wider (or taller) than this is a strip, not key art: every format would be mostly generated.
MAX_ASPECT = 10.0
#: A textless companion may differ from its key art's aspect ratio by this much (rounding of
#: a re-export at another resolution), no more.
TEXTLESS_ASPECT_TOLERANCE = 0.01


class KeyArtRefused(ServiceError):
    """An upload the key-art policy refuses; `code` names the rule in the JSON error."""

    status = 422

    def __init__(self, message: str, code: str, **details: object) -> None:
        super().__init__(message, **details)
        self.code = code


def policy_violation(width: int, height: int) -> KeyArtRefused | None:
    """The first policy rule an upright width x height breaks, or None (pure, header sizes)."""
    if width * height > MAX_PIXELS:
        return KeyArtRefused(f"key art is {width}x{height} = {width * height} pixels, over the limit of "
                             f"{MAX_PIXELS}", "key_art_too_large", width=width, height=height, max_pixels=MAX_PIXELS)
    if min(width, height) < MIN_SHORT_SIDE:
        return KeyArtRefused(f"key art is {width}x{height}: its short side must be at least {MIN_SHORT_SIDE} px",
                             "key_art_too_small", width=width, height=height, min_short_side=MIN_SHORT_SIDE)
    aspect = max(width, height) / min(width, height)
    if aspect > MAX_ASPECT:
        return KeyArtRefused(f"key art is {width}x{height}, an aspect ratio of {aspect:.1f}:1; at most "
                             f"{MAX_ASPECT:g}:1 is accepted", "key_art_aspect", width=width, height=height,
                             max_aspect=MAX_ASPECT)
    return None


def decode_key_art(data: bytes) -> Decoded:
    """Header policy, then a full decode; every refusal is a KeyArtRefused naming its rule."""
    try:
        head = probe(data)
        refused = policy_violation(head.width, head.height)
        if refused is not None:
            raise refused
        return decode(data)
    except DecodeError as exc:
        raise KeyArtRefused(str(exc), exc.code) from None


def _store(title: Title, filename: str, data: bytes, decoded: Decoded) -> tuple[KeyArt, bool]:
    """The KeyArt row for these bytes (the title's existing one if it has them), not committed."""
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
    return art, True


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def ingest_key_art(title: Title, filename: str, data: bytes) -> tuple[KeyArt, bool]:
    """Store original bytes as sent and an sRGB PNG working copy; returns (key_art, created)."""
    art, created = _store(title, filename, data, decode_key_art(data))
    if created:
        _commit()
    analyse_soon(art)
    return art, created


def textless_mismatch(art: KeyArt, width: int, height: int) -> KeyArtRefused | None:
    """Why a companion of width x height cannot stand in for `art`, or None (same size, or the
    same aspect ratio within TEXTLESS_ASPECT_TOLERANCE: a re-export at another resolution)."""
    if (width, height) == (art.width, art.height):
        return None
    ours, theirs = art.width / art.height, width / height
    if abs(theirs / ours - 1) <= TEXTLESS_ASPECT_TOLERANCE:
        return None
    return KeyArtRefused(
        f"the textless companion has an aspect ratio of {theirs:.3f} but the key art has {ours:.3f}; it must "
        f"have the same size, or the same aspect ratio within {TEXTLESS_ASPECT_TOLERANCE:.0%}", "textless_aspect",
        key_art_aspect=round(ours, 4), textless_aspect=round(theirs, 4))


def attach_textless(art: KeyArt, filename: str, data: bytes) -> tuple[KeyArt, bool]:
    """Store a textless companion of `art` (the same picture without its printed text) and link
    it; rendering then starts from it. Returns (art, changed). The key-art policy applies, and
    the companion must match the key art's size or aspect (textless_mismatch). Nothing is
    stored when it is refused."""
    if hashlib.sha256(data).hexdigest() == art.sha256:
        raise KeyArtRefused("the textless companion is the key art itself; upload the version without text",
                            "textless_same_as_key_art")
    decoded = decode_key_art(data)
    refused = textless_mismatch(art, decoded.width, decoded.height)
    if refused is not None:
        raise refused
    companion, _ = _store(art.title, filename, data, decoded)
    db.session.flush()
    changed = art.textless_id != companion.id
    art.textless_id = companion.id
    _commit()
    analyse_soon(companion)
    return art, changed


def get_key_art(key_art_id: int) -> KeyArt:
    art = db.session.get(KeyArt, key_art_id)
    if art is None:
        raise NotFound(f"key art {key_art_id} does not exist")
    return art
