from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped
from .title import Title


class KeyArt(Timestamped, db.Model):
    """An uploaded key art: original bytes kept as sent, plus an sRGB working copy."""

    __tablename__ = "key_art"
    __table_args__ = (UniqueConstraint("title_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("title.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int]
    height: Mapped[int]
    color_profile: Mapped[str | None] = mapped_column(String(200))
    original_key: Mapped[str] = mapped_column(String(64))
    working_key: Mapped[str] = mapped_column(String(64))
    #: Faces etc., computed once by the first render and reused (app.render.analyze).
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The same picture without its printed text (studios deliver it for localization); when
    #: set, rendering starts from it instead (app.services.rendering.load_source).
    textless_id: Mapped[int | None] = mapped_column(ForeignKey("key_art.id", ondelete="SET NULL"))
    title: Mapped[Title] = relationship()
    textless: Mapped["KeyArt | None"] = relationship(remote_side=[id], foreign_keys=[textless_id])
