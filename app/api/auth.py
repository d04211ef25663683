"""People and API tokens (admin), and who am I. A token's clear value is returned once."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import validate
from sqlalchemy import select

from ..auth import current_user
from ..extensions import db
from ..models import ApiToken, AuditEvent, User
from ..models.people import ROLES
from ..schemas.people import UserIn, UserPatch
from ..schemas.validation import ApiSchema, Text
from ..services import NotFound, people
from .jsonbody import Blueprint
from .timestamps import with_rfc3339

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="People, roles and API tokens")
ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})


class TokenIn(ApiSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=120))


def _user(user_id: int) -> User:
    u = db.session.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id} does not exist")
    return u


def _audit(action: str, entity_type: str, entity_id: int, **detail) -> None:
    db.session.add(AuditEvent(actor=current_user().username, action=action, entity_type=entity_type,
                              entity_id=entity_id, detail=detail or None))


@blp.route("/me")
class Me(MethodView):
    roles = ALL

    @blp.response(200)
    def get(self):
        """The caller: role, scope and UI language."""
        return with_rfc3339(current_user().to_dict())


@blp.route("/users")
class Users(MethodView):
    roles = ADMIN

    @blp.response(200)
    def get(self):
        return [with_rfc3339(u.to_dict()) for u in db.session.scalars(select(User).order_by(User.id))]

    @blp.arguments(UserIn)
    @blp.response(201)
    def post(self, data):
        """Create a person (password required except for integrations, which use tokens only)."""
        return with_rfc3339(people.create_user(data, current_user().username).to_dict())


@blp.route("/users/<id:user_id>")
class UserDetail(MethodView):
    roles = ADMIN

    @blp.response(200)
    def get(self, user_id: int):
        return with_rfc3339(_user(user_id).to_dict())

    @blp.arguments(UserPatch)
    @blp.response(200)
    def patch(self, data, user_id: int):
        u = _user(user_id)
        if "password" in data:
            u.set_password(data.pop("password"))
        if "regions" in data:
            data["regions"] = [r.upper() for r in data["regions"]]
        for k, v in data.items():
            setattr(u, k, v)
        _audit("user.updated", "user", u.id, fields=sorted(data))
        db.session.commit()
        return with_rfc3339(u.to_dict())


@blp.route("/users/<id:user_id>/tokens")
class UserTokens(MethodView):
    roles = ADMIN

    @blp.response(200)
    def get(self, user_id: int):
        return [with_rfc3339(t.to_dict()) for t in _user(user_id).tokens]

    @blp.arguments(TokenIn)
    @blp.response(201)
    def post(self, data, user_id: int):
        """Issue a token. The response carries the token itself; it is never shown again."""
        tok, raw = people.issue_token(_user(user_id), data["name"], current_user().username)
        return {**with_rfc3339(tok.to_dict()), "token": raw}


@blp.route("/tokens/<id:token_id>")
class TokenDetail(MethodView):
    roles = ADMIN

    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke (kept for the record, never accepted again)."""
        tok = db.session.get(ApiToken, token_id)
        if tok is None:
            raise NotFound(f"token {token_id} does not exist")
        tok.revoke()
        _audit("token.revoked", "api_token", tok.id, user_id=tok.user_id)
        db.session.commit()
        return ""
