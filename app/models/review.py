"""Review records: flags on a variant revision, and fix requests made from them."""
from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped


class FlagCategory(str, enum.Enum):
    GESTURE = "gesture"
    RELIGIOUS_SYMBOL = "religious_symbol"
    COLOUR = "colour"
    SUBSTANCES = "substances"
    VIOLENCE = "violence"
    NUDITY_ATTIRE = "nudity_attire"
    POLITICS = "politics"
    TRANSLATION = "translation"
    SPELLING = "spelling"
    RATING_LEGAL = "rating_legal"
    OTHER = "other"


CATEGORIES = tuple(c.value for c in FlagCategory)


class FlagScope(str, enum.Enum):
    """What the flag is about: this variant only, or an input shared with other variants."""
    VARIANT = "variant"
    KEY_ART = "key_art"
    LOCALIZATION = "localization"


SCOPES = tuple(s.value for s in FlagScope)


class Flag(Timestamped, db.Model):
    """A reviewer's objection to one revision. Shared-scope flags are copied to every
    variant built from the same input, each copy pointing at the origin."""

    __tablename__ = "review_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int]
    categories: Mapped[list[str]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    #: {"x","y","w","h"} as fractions (0..1) of the rendered image, so it survives resizing.
    rect: Mapped[dict[str, float] | None] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(String(16), default=FlagScope.VARIANT.value)
    origin_flag_id: Mapped[int | None] = mapped_column(ForeignKey("review_flag.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="open")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "variant_id": self.variant_id, "revision": self.revision,
                "categories": list(self.categories), "comment": self.comment, "rect": self.rect,
                "scope": self.scope, "origin_flag_id": self.origin_flag_id, "author": self.author,
                "status": self.status, "created_at": self.created_at.isoformat() if self.created_at else None}


class FixRequest(Timestamped, db.Model):
    """Marketing's answer to a flag: a re-render with overrides, or a generator edit of
    the marked area (remove / restyle). Recorded even when no generator is installed."""

    __tablename__ = "fix_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"), index=True)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("review_flag.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # rerender | remove | restyle
    from_revision: Mapped[int]
    to_revision: Mapped[int | None]
    overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prompt: Mapped[str | None] = mapped_column(Text)
    rect: Mapped[dict[str, float] | None] = mapped_column(JSON)
    #: rerender: submitted; generator edits: queued | running | done | failed | accepted
    status: Mapped[str] = mapped_column(String(16), default="recorded")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(120))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "variant_id": self.variant_id, "flag_id": self.flag_id, "kind": self.kind,
                "from_revision": self.from_revision, "to_revision": self.to_revision,
                "overrides": self.overrides, "prompt": self.prompt, "rect": self.rect,
                "status": self.status, "result": self.result, "actor": self.actor,
                "created_at": self.created_at.isoformat() if self.created_at else None}


class Decision(Timestamped, db.Model):
    """One review decision on one revision (approve, flag, re-render, generator edit)."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int]
    decision: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))
    state_before: Mapped[str] = mapped_column(String(32))
    state_after: Mapped[str] = mapped_column(String(32))
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("review_flag.id", ondelete="SET NULL"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "variant_id": self.variant_id, "revision": self.revision,
                "decision": self.decision, "actor": self.actor, "state_before": self.state_before,
                "state_after": self.state_after, "flag_id": self.flag_id,
                "created_at": self.created_at.isoformat() if self.created_at else None}


class FlagComment(Timestamped, db.Model):
    """One message in a flag's thread (reviewer and marketing talking about the objection).
    `lang` is the writer's UI language, so readers in another language know the original's."""

    __tablename__ = "flag_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("review_flag.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "flag_id": self.flag_id, "author": self.author, "body": self.body,
                "lang": self.lang, "created_at": self.created_at.isoformat() if self.created_at else None}
