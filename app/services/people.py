"""People and API tokens: the one place that creates, changes and revokes them (and audits it),
for the admin API, the web UI and the CLI."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ApiToken, AuditEvent, User
from . import Conflict, NotFound, ServiceError


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


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id)))


def get_user(user_id: int) -> User:
    u = db.session.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id} does not exist")
    return u


def update_user(user: User, data: dict[str, Any], actor: str) -> User:
    """Change a person from validated fields (auth API's UserPatch), audited with the names of
    the fields changed (a new password is set, not named)."""
    data = dict(data)
    if "password" in data:
        user.set_password(data.pop("password"))
    if "regions" in data:
        data["regions"] = [r.upper() for r in data["regions"]]
    for k, v in data.items():
        setattr(user, k, v)
    db.session.add(AuditEvent(actor=actor, action="user.updated", entity_type="user", entity_id=user.id,
                              detail={"fields": sorted(data)}))
    db.session.commit()
    return user


def set_ui_locale(user: User, ui_locale: str | None) -> None:
    """The person's own choice of UI language (None: follow the browser)."""
    user.ui_locale = ui_locale
    db.session.commit()


def revoke_token(token_id: int, actor: str) -> ApiToken:
    """Revoke an API token: kept for the record, never accepted again."""
    tok = db.session.get(ApiToken, token_id)
    if tok is None:
        raise NotFound(f"token {token_id} does not exist")
    tok.revoke()
    db.session.add(AuditEvent(actor=actor, action="token.revoked", entity_type="api_token", entity_id=tok.id,
                              detail={"user_id": tok.user_id}))
    db.session.commit()
    return tok
