"""People and API tokens: the one place that creates them, for the admin API and the CLI."""
from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ApiToken, AuditEvent, User
from . import Conflict, ServiceError


def create_user(data: dict[str, Any], actor: str) -> User:
    """Create a person from validated fields (auth API's UserIn). A password is required except
    for integrations, which use tokens only; a reviewer needs a scope."""
    data = dict(data)
    if data["role"] != "integration" and not data.get("password"):
        raise ServiceError("a password (8+ characters) is required for this role", status=422)
    if data["role"] == "reviewer" and not (data.get("locales") or data.get("regions")):
        raise ServiceError("a reviewer needs at least one locale or region in scope", status=422)
    pw = data.pop("password", None)
    u = User(**{**data, "regions": [r.upper() for r in data.get("regions", [])]})
    if pw:
        u.set_password(pw)
    db.session.add(u)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"user {data['username']!r} already exists") from None
    db.session.add(AuditEvent(actor=actor, action="user.created", entity_type="user", entity_id=u.id,
                              detail={"role": u.role}))
    db.session.commit()
    return u


def issue_token(user: User, name: str, actor: str) -> tuple[ApiToken, str]:
    """A new API token; the clear value is returned here and never again."""
    tok, raw = ApiToken.issue(user, name)
    db.session.add(tok)
    db.session.flush()
    db.session.add(AuditEvent(actor=actor, action="token.issued", entity_type="api_token", entity_id=tok.id,
                              detail={"user_id": user.id}))
    db.session.commit()
    return tok, raw
