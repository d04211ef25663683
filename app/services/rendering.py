"""Render one variant revision: claim it, call the pure pipeline, store blobs, record the result.

A claim is a conditional UPDATE from `queued` to `rendering` carrying a fresh attempt token;
the result is written only while that token still holds. So a duplicate job, or the orphan
of a killed worker, can never render a revision twice.
"""
from __future__ import annotations

import time
import uuid

from flask import current_app
from PIL import Image
from sqlalchemy import update

from ..extensions import db
from ..generate.screen import screen_image
from ..models import AuditEvent, Variant, VariantStatus
from ..models.base import utcnow
from ..render.encode import MASTER, Encoded
from ..render.formats import get_format
from ..render.locales import get_locale
from ..render.pipeline import RenderResult, VariantSpec, render_variant
from ..render.shared_reframe import SharedReframes
from ..render.variant import build_variant_spec
from . import blob_store, pixel_cache
from .brand_kits import kit_spec
from .generation import costly_expand, expander_for
from .previews import store_preview
from .sources import load_source, source_art, source_kind
from .titles import strings_for

__all__ = ["build_spec", "load_source", "render_variant_revision", "screen_for", "source_kind", "store_encodings"]

class _MachineCanvases:
    """The reframed canvases of this machine's render jobs (pixel_cache, per blob store)."""

    def load(self, key: str, size: tuple[int, int]) -> tuple[Image.Image, dict] | None:
        return pixel_cache.load_framed(blob_store().location, key, size)

    def save(self, key: str, image: Image.Image, meta: dict) -> None:
        pixel_cache.save_framed(blob_store().location, key, image, meta)


#: Canvases shared by the locales of one (key art, format) rendered in this process (a render job
#: renders several locales of one format: app.services.render_queue), and through the machine's
#: pixel cache by the other jobs of that format.
_REFRAMES = SharedReframes(maxsize=8, store=_MachineCanvases())


def build_spec(variant: Variant) -> VariantSpec:
    req = variant.request
    locale = get_locale(variant.locale)
    strings = strings_for(req.title, locale)
    overrides = variant.overrides or {}  # a reviewer-driven re-render (app.services.review)
    return build_variant_spec(get_format(variant.format), locale, kit_spec(req.brand_kit), strings.title,
                              rating=strings.rating, tagline=overrides.get("tagline") or strings.tagline,
                              release_date=strings.release_date,
                              crop_anchor=overrides.get("crop_anchor"), text_zone=overrides.get("text_zone"))


def screen_for(image: Image.Image, variant: Variant) -> dict:
    """CLIP pre-screen of a finished image for the variant's region: scores and pre-flags."""
    cfg = current_app.config
    return screen_image(image, get_locale(variant.locale).region, cfg["CLIP_DIR"] or None, cfg["SCREEN_THRESHOLD"])


def _attach_screen(result: RenderResult, variant: Variant) -> None:
    screen = screen_for(result.image, variant)
    result.report["screen"] = screen
    result.report.setdefault("flags", []).extend(screen["pre_flags"])


def _claim(variant_id: int, revision: int) -> str | None:
    token = uuid.uuid4().hex
    res = db.session.execute(
        update(Variant)
        .where(Variant.id == variant_id, Variant.revision == revision,
               Variant.status == VariantStatus.QUEUED.value)
        .values(status=VariantStatus.RENDERING.value, attempt=token, started_at=utcnow(), error=None))
    db.session.commit()
    return token if res.rowcount == 1 else None


def store_encodings(encodings: dict[str, Encoded]) -> dict[str, dict]:
    """Put each encoding in the blob store; the dict is what Variant.assets holds."""
    store = blob_store()
    return {kind: {"key": store.put(enc.data), "sha256": enc.sha256, "bytes": len(enc.data), "mime": enc.mime,
                   "ext": enc.ext}
            for kind, enc in encodings.items()}


def render_variant_revision(variant_id: int, revision: int) -> str:
    """Render and record; returns 'rendered', 'failed' or 'skipped' (not ours to render)."""
    token = _claim(variant_id, revision)
    if token is None:
        return "skipped"
    owned = (Variant.id == variant_id, Variant.revision == revision, Variant.attempt == token,
             Variant.status == VariantStatus.RENDERING.value)
    variant = db.session.get(Variant, variant_id)
    t0 = time.perf_counter()
    try:
        source, analysis = load_source(variant.request.key_art)
        result = render_variant(source, analysis, build_spec(variant), expander=expander_for(variant),
                                costly_expander=costly_expand(),
                               encodings=(MASTER,),  # others on demand: app.services.encodings
                               reframer=_REFRAMES.reframer(source_art(variant.request.key_art).working_key))
        _attach_screen(result, variant)
        result.report["source"] = source_kind(variant.request.key_art)
        assets = store_encodings(result.encodings)
        result.report["preview"] = store_preview(result.image)  # the campaign matrix's small WebP
    except Exception as exc:  # the variant records the error; the job itself then fails too
        db.session.rollback()
        db.session.execute(update(Variant).where(*owned).values(
            status=VariantStatus.FAILED.value, error=f"{type(exc).__name__}: {exc}", finished_at=utcnow()))
        db.session.commit()
        raise
    made = result.report["reframe"].get("generator") or {}
    generator = {**made, "revision": revision, "backend": made.get("backend"),
                 "reframe": result.report["reframe"]["mode"], "ms": round((time.perf_counter() - t0) * 1000, 1)}
    res = db.session.execute(update(Variant).where(*owned).values(
        status=VariantStatus.RENDERED.value, assets=assets, report=result.report, generator=generator,
        width=result.image.width, height=result.image.height, finished_at=utcnow(),
        render_count=Variant.render_count + 1))
    if res.rowcount != 1:
        db.session.rollback()
        return "skipped"
    db.session.add(AuditEvent(actor="worker", action="variant.rendered", entity_type="variant",
                              entity_id=variant_id, revision=revision, state_before="rendering",
                              state_after="rendered"))
    db.session.commit()
    return "rendered"
