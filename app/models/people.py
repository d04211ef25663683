"""People and API tokens. Passwords and tokens are stored hashed, never in clear."""
from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import Timestamped, utcnow


class Role(str, enum.Enum):
    ADMIN = "admin"
    MARKETING = "marketing"
    REVIEWER = "reviewer"
    INTEGRATION = "integration"


ROLES = tuple(r.value for r in Role)


class User(Timestamped, db.Model):
    """A person (or an integration). Reviewers are scoped to locales and/or regions."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    #: Locales (e.g. "ja-JP") and regions (e.g. "JP") a reviewer may see; empty = none.
    locales: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Preferred UI language (Babel code like "pt_BR"); None = Accept-Language.
    ui_locale: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def sees_locale(self, locale: str) -> bool:
        """Reviewers see a locale if it, or its region (the part after '-'), is in their scope."""
        if self.role != Role.REVIEWER.value:
            return True
        region = locale.split("-", 1)[1].upper() if "-" in locale else None
        return locale in (self.locales or []) or (region is not None and region in (self.regions or []))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role, "locales": list(self.locales or []), "regions": list(self.regions or []),
                "ui_locale": self.ui_locale, "active": self.active}


def hash_token(raw: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 is enough (no slow KDF needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(Timestamped, db.Model):
    """A bearer token; only its hash and a short display prefix are kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def issue(user: User, name: str) -> tuple["ApiToken", str]:
        """Create a token; the clear value is returned once and never stored."""
        raw = "mq_" + secrets.token_urlsafe(32)
        tok = ApiToken(user=user, name=name, prefix=raw[:10], token_hash=hash_token(raw))
        return tok, raw

    def revoke(self) -> None:
        self.revoked_at = self.revoked_at or utcnow()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "user_id": self.user_id, "name": self.name, "prefix": self.prefix,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
                "revoked": self.revoked_at is not None}
