from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped


class BrandKit(Timestamped, db.Model):
    """One immutable version of a brand kit; importing changed files makes a new version."""

    __tablename__ = "brand_kit"
    __table_args__ = (UniqueConstraint("slug", "version"), UniqueConstraint("slug", "content_sha256"))

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    logo_key: Mapped[str | None] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
