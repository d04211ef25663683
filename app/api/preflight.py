"""Preflight: will this request's text fit and have glyphs in every cell? Answers before rendering."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from ..schemas.validation import ApiSchema, BoundedList, Id, Text
from ..services.preflight import preflight
from .jsonbody import Blueprint
from .schemas import FORMAT, LOCALE, MAX_FORMATS, MAX_LOCALES

blp = Blueprint("preflight", __name__, url_prefix="/api/v1/preflight",
                description="Shape and fit a request's strings against every format, in milliseconds")


class PreflightIn(ApiSchema):
    title_id = Id(required=True)
    brand_kit_id = Id(required=True)
    locales = BoundedList(Text(validate=LOCALE), max_items=MAX_LOCALES, required=True)
    formats = BoundedList(Text(validate=FORMAT), max_items=MAX_FORMATS, required=True)
    key_art_id = Id(load_default=None, metadata={
        "description": "also warn about each format this key art is too small for (enlarged more than 1.5x)"})


class PreflightOut(Schema):
    ok = fields.Bool()
    checked = fields.Int()
    problems = fields.List(fields.Dict())
    variants = fields.List(fields.Dict())
    warnings = fields.List(fields.Dict(), metadata={"description": "key_art_too_small per format, when a "
                                                                   "key_art_id was given"})
    elapsed_ms = fields.Float()


@blp.route("")
class Preflight(MethodView):
    @blp.arguments(PreflightIn)
    @blp.response(200, PreflightOut)
    def post(self, data):
        """What will not fit or lacks glyphs, per locale and format, and (with key_art_id) the formats the
        key art is too small for (nothing is stored or queued)."""
        return preflight(**data)
