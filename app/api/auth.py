"""People and API tokens (admin), and who am I. A token's clear value is returned once."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import validate

from ..auth import current_user
from ..models.people import ROLES
from ..schemas.people import UserIn, UserPatch
from ..schemas.validation import ApiSchema, Text
from ..services import people
from .jsonbody import Blueprint
from .timestamps import with_rfc3339

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="People, roles and API tokens")
ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})


class TokenIn(ApiSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=120))


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
        return [with_rfc3339(u.to_dict()) for u in people.list_users()]

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
        return with_rfc3339(people.get_user(user_id).to_dict())

    @blp.arguments(UserPatch)
    @blp.response(200)
    def patch(self, data, user_id: int):
        u = people.update_user(people.get_user(user_id), data, current_user().username)
        return with_rfc3339(u.to_dict())


@blp.route("/users/<id:user_id>/tokens")
class UserTokens(MethodView):
    roles = ADMIN

    @blp.response(200)
    def get(self, user_id: int):
        return [with_rfc3339(t.to_dict()) for t in people.get_user(user_id).tokens]

    @blp.arguments(TokenIn)
    @blp.response(201)
    def post(self, data, user_id: int):
        """Issue a token. The response carries the token itself; it is never shown again."""
        tok, raw = people.issue_token(people.get_user(user_id), data["name"], current_user().username)
        return {**with_rfc3339(tok.to_dict()), "token": raw}


@blp.route("/tokens/<id:token_id>")
class TokenDetail(MethodView):
    roles = ADMIN

    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke (kept for the record, never accepted again)."""
        people.revoke_token(token_id, current_user().username)
        return ""
