"""Render requests: validate the matrix, create one Variant per cell, enqueue after commit."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import AuditEvent, RenderRequest, Variant, VariantStatus
from ..render.formats import FORMATS
from ..render.locales import UnsupportedLocale, get_locale
from . import Conflict, NotFound, ServiceError
from .brand_kits import get_kit
from .generation import enqueue_generation
from .key_art import get_key_art
from .queries.variants import request_progress
from .render_queue import enqueue_renders
from .titles import get_title


def _validate_matrix(locales: list[str], formats: list[str]) -> tuple[list[str], list[str]]:
    if not locales or not formats:
        raise ServiceError("the matrix is empty: give at least one locale and one format", status=422)
    try:
        tags = list(dict.fromkeys(get_locale(l).tag for l in locales))
    except UnsupportedLocale as exc:
        raise ServiceError(str(exc), status=422) from None
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ServiceError(f"unknown format(s) {', '.join(map(repr, unknown))}; known: {', '.join(FORMATS)}",
                           status=422)
    return tags, list(dict.fromkeys(formats))


def create_request(*, title_id: int, key_art_id: int, brand_kit_id: int, locales: list[str],
                   formats: list[str], requester: str, idempotency_key: str | None = None
                   ) -> tuple[RenderRequest, bool]:
    """Create the request and its variants; an Idempotency-Key seen before returns that request."""
    if idempotency_key:
        prior = db.session.scalar(select(RenderRequest).where(RenderRequest.idempotency_key == idempotency_key))
        if prior is not None:
            return prior, False
    tags, fmts = _validate_matrix(locales, formats)
    title = get_title(title_id)
    art = get_key_art(key_art_id)
    if art.title_id != title.id:
        raise ServiceError(f"key art {art.id} belongs to another title", status=422)
    kit = get_kit(brand_kit_id)
    req = RenderRequest(title_id=title.id, key_art_id=art.id, brand_kit_id=kit.id, locales=tags, formats=fmts,
                        requester=requester, idempotency_key=idempotency_key)
    req.variants = [Variant(locale=l, format=f, revision=1, status=VariantStatus.QUEUED.value)
                    for l in tags for f in fmts]
    db.session.add(req)
    try:
        db.session.flush()
        db.session.add(AuditEvent(actor=requester, action="request.created", entity_type="render_request",
                                  entity_id=req.id, detail={"locales": tags, "formats": fmts}))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if idempotency_key:
            prior = db.session.scalar(select(RenderRequest).where(RenderRequest.idempotency_key == idempotency_key))
            if prior is not None:
                return prior, False
        raise Conflict("the request conflicts with one created at the same time; retry") from None
    return req, True


def enqueue_variants(variants: list[Variant]) -> int:
    """Put each variant's current revision on the render queue (no-op if already there)."""
    return enqueue_renders(variants)


def get_request(request_id: int) -> RenderRequest:
    req = db.session.get(RenderRequest, request_id)
    if req is None:
        raise NotFound(f"render request {request_id} does not exist")
    return req


def progress(req: RenderRequest) -> dict[str, int]:
    """Every status of the request with its count, and the total (app.services.queries.variants)."""
    return request_progress(req.id)


def get_variant(variant_id: int) -> Variant:
    v = db.session.get(Variant, variant_id)
    if v is None:
        raise NotFound(f"variant {variant_id} does not exist")
    return v
