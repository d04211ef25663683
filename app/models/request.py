from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped, utcnow
from .brand_kit import BrandKit
from .key_art import KeyArt
from .title import Title


class VariantStatus(str, enum.Enum):
    QUEUED = "queued"
    RENDERING = "rendering"
    RENDERED = "rendered"
    FAILED = "failed"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class RenderRequest(Timestamped, db.Model):
    """A locale x format matrix asked for one title, key art and kit version."""

    __tablename__ = "render_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("title.id"), index=True)
    key_art_id: Mapped[int] = mapped_column(ForeignKey("key_art.id"))
    brand_kit_id: Mapped[int] = mapped_column(ForeignKey("brand_kit.id"))
    locales: Mapped[list[str]] = mapped_column(JSON)
    formats: Mapped[list[str]] = mapped_column(JSON)
    requester: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[Title] = relationship()
    key_art: Mapped[KeyArt] = relationship()
    brand_kit: Mapped[BrandKit] = relationship()
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Variant.id")


class Variant(db.Model):
    """One cell of a request's matrix. `revision` grows with each re-render."""

    __tablename__ = "variant"
    __table_args__ = (UniqueConstraint("request_id", "locale", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("render_request.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(32), default=VariantStatus.QUEUED.value, index=True)
    #: {"jpeg": {"key": sha256, "bytes": n, "mime": ...}, "webp": {...}}
    assets: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    width: Mapped[int | None]
    height: Mapped[int | None]
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    generator: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    #: How many times a render of this variant completed (each revision once, when healthy).
    render_count: Mapped[int] = mapped_column(default=0)
    #: Token of the job attempt that holds the variant while rendering; a stale attempt
    #: (its worker was killed and the variant re-queued) can no longer write its result.
    attempt: Mapped[str | None] = mapped_column(String(32))
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    #: Review: who approved the current revision (cleared by a re-render) and when.
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Re-render overrides asked in review: {"tagline", "crop_anchor", "text_zone"}.
    overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request: Mapped[RenderRequest] = relationship(back_populates="variants")
