"""A person as the API and `flask create-user` accept them: one set of rules for both."""
from __future__ import annotations

from marshmallow import fields, validate

from ..models.people import ROLES
from .validation import ApiSchema, BoundedList, Text

UI_LOCALES = ("en", "ja", "ar", "pt_BR", "de", "fr", "ko", "hi")
MAX_SCOPE = 300  # locales or regions a person may review


class UserIn(ApiSchema):
    username = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{2,120}$"))
    display_name = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    password = Text(load_default=None, allow_none=True, validate=validate.Length(min=8, max=200))
    role = Text(required=True, validate=validate.OneOf(ROLES))
    locales = BoundedList(Text(validate=validate.Length(min=2, max=16)), max_items=MAX_SCOPE, load_default=list)
    regions = BoundedList(Text(validate=validate.Regexp(r"^[A-Za-z]{2}$")), max_items=MAX_SCOPE,
                          load_default=list)
    ui_locale = Text(load_default=None, allow_none=True, validate=validate.OneOf(UI_LOCALES))


class UserPatch(ApiSchema):
    display_name = Text(allow_none=True, validate=validate.Length(max=200))
    password = Text(validate=validate.Length(min=8, max=200))
    role = Text(validate=validate.OneOf(ROLES))
    locales = BoundedList(Text(validate=validate.Length(min=2, max=16)), max_items=MAX_SCOPE)
    regions = BoundedList(Text(validate=validate.Regexp(r"^[A-Za-z]{2}$")), max_items=MAX_SCOPE)
    ui_locale = Text(allow_none=True, validate=validate.OneOf(UI_LOCALES))
    active = fields.Bool()
