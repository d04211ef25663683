"""Marshmallow schemas: they validate input and generate the OpenAPI spec."""
from __future__ import annotations

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas.validation import TAGLINE_CELLS, TITLE_CELLS, ApiSchema, BoundedList, DisplayText, Id, Text
from ..services.encodings import offered
from .timestamps import UtcDateTime

#: List bounds (the render matrix is locales x formats; a title has one row per locale and region).
MAX_LOCALIZATIONS = 100
MAX_RELEASES = 300
MAX_LOCALES = 100
MAX_FORMATS = 50
LOCALE = validate.Length(min=2, max=16)
FORMAT = validate.Length(min=1, max=32)
TITLE_COLUMN = 300  # title.original_title and title_localization.title are VARCHAR(300)


class ImportKitIn(ApiSchema):
    folder = Text(validate=validate.Length(min=1, max=200), required=True, metadata={"description": "folder name under brand_kits/"})


class BrandKitOut(Schema):
    id = fields.Int()
    slug = fields.Str()
    version = fields.Int()
    name = fields.Str()
    spec = fields.Dict()
    created_at = UtcDateTime()


class LocalizationIn(ApiSchema):
    locale = Text(required=True, validate=LOCALE)
    title = DisplayText(required=True, max_cells=TITLE_CELLS, max_chars=TITLE_COLUMN)
    tagline = DisplayText(load_default=None, allow_none=True, max_cells=TAGLINE_CELLS)


class ReleaseIn(ApiSchema):
    region = Text(required=True, validate=validate.Regexp(r"^[A-Za-z]{2}$", error="a two-letter region code"))
    release_date = fields.Date(load_default=None, allow_none=True)
    age_rating = Text(load_default=None, allow_none=True, validate=validate.Length(max=32))


class TitleIn(ApiSchema):
    slug = Text(required=True, validate=validate.Length(min=1, max=120))
    original_title = DisplayText(required=True, max_cells=TITLE_CELLS, max_chars=TITLE_COLUMN)
    original_locale = Text(required=True, validate=LOCALE)
    localizations = BoundedList(fields.Nested(LocalizationIn), max_items=MAX_LOCALIZATIONS, load_default=list)
    releases = BoundedList(fields.Nested(ReleaseIn), max_items=MAX_RELEASES, load_default=list)

    @validates_schema
    def _one_release_per_region(self, data: dict, **_) -> None:
        """Regions are case-insensitive (stored upper case): JP and jp are the same release."""
        seen: set[str] = set()
        for r in data.get("releases") or []:
            region = r["region"].upper()
            if region in seen:
                raise ValidationError(f"region {region} appears more than once (regions are case-insensitive)",
                                      field_name="releases")
            seen.add(region)


class LocalizationOut(Schema):
    locale = fields.Str()
    title = fields.Str()
    tagline = fields.Str(allow_none=True)


class ReleaseOut(Schema):
    region = fields.Str()
    release_date = fields.Date(allow_none=True)
    age_rating = fields.Str(allow_none=True)


class TitleOut(Schema):
    id = fields.Int()
    slug = fields.Str()
    original_title = fields.Str()
    original_locale = fields.Str()
    localizations = fields.List(fields.Nested(LocalizationOut))
    releases = fields.List(fields.Nested(ReleaseOut))
    created_at = UtcDateTime()


class KeyArtUpload(Schema):  # multipart: other parts are ignored
    file = Upload(required=True, metadata={"description": "JPEG (or camera MPO), PNG, WebP, TIFF or GIF (first "
                                                          "frame); short side >= 300 px, aspect <= 10:1, <= 100 Mpx"})


class KeyArtOut(Schema):
    id = fields.Int()
    title_id = fields.Int()
    filename = fields.Str()
    mime = fields.Str()
    sha256 = fields.Str()
    size_bytes = fields.Int()
    width = fields.Int()
    height = fields.Int()
    color_profile = fields.Str(allow_none=True)
    analysis = fields.Dict(allow_none=True)
    textless_id = fields.Int(allow_none=True, metadata={"description": "the textless companion renders use"})
    created_at = UtcDateTime()


class RequestIn(ApiSchema):
    title_id = Id(required=True)
    key_art_id = Id(required=True)
    brand_kit_id = Id(required=True)
    locales = BoundedList(Text(validate=LOCALE), max_items=MAX_LOCALES, required=True)
    formats = BoundedList(Text(validate=FORMAT), max_items=MAX_FORMATS, required=True)
    requester = Text(load_default="api", validate=validate.Length(min=1, max=120))


class IdempotencyHeader(Schema):  # headers: other headers are not "unknown fields"
    idempotency_key = Text(data_key="Idempotency-Key", load_default=None, validate=[
        validate.Length(min=1, max=200),
        validate.Regexp(r"^[\x21-\x7e]+$", error="visible ASCII characters only (a UUID, for example)")])


class VariantOut(Schema):
    id = fields.Int()
    request_id = fields.Int()
    locale = fields.Str()
    format = fields.Str()
    revision = fields.Int()
    status = fields.Str()
    width = fields.Int(allow_none=True)
    height = fields.Int(allow_none=True)
    assets = fields.Dict(allow_none=True)
    report = fields.Dict(allow_none=True)
    generator = fields.Dict(allow_none=True)
    error = fields.Str(allow_none=True)
    approved_by = fields.Str(allow_none=True)
    approved_at = UtcDateTime(allow_none=True)
    overrides = fields.Dict(allow_none=True)
    links = fields.Method("_links")

    def _links(self, v) -> dict:
        links = {"self": url_for("variants.VariantDetail", variant_id=v.id)}
        for kind in offered(v.assets):
            links[kind] = url_for("variants.VariantImage", variant_id=v.id, kind=kind)
        return links


class ProgressOut(Schema):
    queued = fields.Int()
    rendering = fields.Int()
    rendered = fields.Int()
    failed = fields.Int()
    in_review = fields.Int()
    approved = fields.Int()
    changes_requested = fields.Int()
    total = fields.Int()


class RequestOut(Schema):
    id = fields.Int()
    title_id = fields.Int()
    key_art_id = fields.Int()
    brand_kit_id = fields.Int()
    locales = fields.List(fields.Str())
    formats = fields.List(fields.Str())
    requester = fields.Str()
    idempotency_key = fields.Str(allow_none=True)
    created_at = UtcDateTime()
    variants = fields.List(fields.Nested(VariantOut))
