from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped


class Title(Timestamped, db.Model):
    __tablename__ = "title"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    original_title: Mapped[str] = mapped_column(String(300))
    original_locale: Mapped[str] = mapped_column(String(16))
    localizations: Mapped[list["TitleLocalization"]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", order_by="TitleLocalization.locale")
    releases: Mapped[list["TitleRelease"]] = relationship(
        back_populates="title", cascade="all, delete-orphan", order_by="TitleRelease.region")

    def localized(self, locale: str) -> "TitleLocalization | None":
        return next((l for l in self.localizations if l.locale == locale), None)

    def release(self, region: str) -> "TitleRelease | None":
        return next((r for r in self.releases if r.region == region), None)


class TitleLocalization(db.Model):
    """The title and tagline as marketed in one locale."""

    __tablename__ = "title_localization"
    __table_args__ = (UniqueConstraint("title_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("title.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    tagline: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[Title] = relationship(back_populates="localizations")


class TitleRelease(db.Model):
    """Release date and age rating in one region."""

    __tablename__ = "title_release"
    __table_args__ = (UniqueConstraint("title_id", "region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("title.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = mapped_column(String(2))
    release_date: Mapped[date | None] = mapped_column(Date)
    age_rating: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[Title] = relationship(back_populates="releases")
