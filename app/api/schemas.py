"""Marshmallow schemas: they validate input and generate the OpenAPI spec."""
from __future__ import annotations

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate


class ImportKitIn(Schema):
    folder = fields.Str(required=True, metadata={"description": "folder name under brand_kits/"})


class BrandKitOut(Schema):
    id = fields.Int()
    slug = fields.Str()
    version = fields.Int()
    name = fields.Str()
    spec = fields.Dict()
    created_at = fields.DateTime()


class LocalizationIn(Schema):
    locale = fields.Str(required=True)
    title = fields.Str(required=True, validate=validate.Length(min=1, max=300))
    tagline = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ReleaseIn(Schema):
    region = fields.Str(required=True, validate=validate.Regexp(r"^[A-Za-z]{2}$", error="a two-letter region code"))
    release_date = fields.Date(load_default=None, allow_none=True)
    age_rating = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=32))


class TitleIn(Schema):
    slug = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    original_title = fields.Str(required=True, validate=validate.Length(min=1, max=300))
    original_locale = fields.Str(required=True)
    localizations = fields.List(fields.Nested(LocalizationIn), load_default=list)
    releases = fields.List(fields.Nested(ReleaseIn), load_default=list)


class TitleOut(Schema):
    id = fields.Int()
    slug = fields.Str()
    original_title = fields.Str()
    original_locale = fields.Str()
    localizations = fields.List(fields.Nested(LocalizationIn))
    releases = fields.List(fields.Nested(ReleaseIn))
    created_at = fields.DateTime()


class KeyArtUpload(Schema):
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
    created_at = fields.DateTime()


class RequestIn(Schema):
    title_id = fields.Int(required=True)
    key_art_id = fields.Int(required=True)
    brand_kit_id = fields.Int(required=True)
    locales = fields.List(fields.Str(), required=True)
    formats = fields.List(fields.Str(), required=True)
    requester = fields.Str(load_default="api", validate=validate.Length(min=1, max=120))


class IdempotencyHeader(Schema):
    idempotency_key = fields.Str(data_key="Idempotency-Key", load_default=None,
                                 validate=validate.Length(min=1, max=200))


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
    approved_at = fields.DateTime(allow_none=True)
    overrides = fields.Dict(allow_none=True)
    links = fields.Method("_links")

    def _links(self, v) -> dict:
        links = {"self": url_for("variants.VariantDetail", variant_id=v.id)}
        for kind in (v.assets or {}):
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
    created_at = fields.DateTime()
    variants = fields.List(fields.Nested(VariantOut))
