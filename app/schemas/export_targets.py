"""The body of an export target, as the API takes it and as the UI's form is turned into.

Secret settings are the NAMES of environment variables, never their values."""
from __future__ import annotations

from marshmallow import fields, validate

from .validation import ApiSchema, BoundedList, Text
from ..models.export import TargetKind
from ..render.encode import ENCODINGS

KINDS = [k.value for k in TargetKind]
MAX_TARGET_REGIONS = 300
MAX_TARGET_FORMATS = 50
ENCODINGS_HELP = ("encodings delivered, of " + ", ".join(ENCODINGS) + "; omitted or null: jpeg and webp. "
                  "WebP and AVIF are made from the JPEG master when first needed (an AVIF takes seconds)")


class TargetIn(ApiSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=80))
    kind = Text(required=True, validate=validate.OneOf(KINDS))
    url = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000),
               metadata={"description": "S3 endpoint (omit for AWS), HTTP PUT base URL or webhook URL"})
    options = fields.Dict(load_default=dict, metadata={
        "description": "s3: bucket, prefix, region, public_base_url; http-put: headers, public_base_url, mode "
                       "(put|move)"})
    secret_refs = fields.Dict(load_default=dict, metadata={
        "description": "NAMES of environment variables: s3 access_key_id/secret_access_key; webhook secret "
                       "(whsec_...); http-put headers {header: VAR}. Never returned."})
    regions = BoundedList(Text(validate=validate.Length(max=16)), max_items=MAX_TARGET_REGIONS, load_default=None,
                          allow_none=True)
    formats = BoundedList(Text(validate=validate.Length(max=32)), max_items=MAX_TARGET_FORMATS, load_default=None,
                          allow_none=True)
    encodings = BoundedList(Text(validate=validate.Length(max=16)), max_items=len(ENCODINGS), load_default=None,
                            allow_none=True, metadata={"description": ENCODINGS_HELP})
    enabled = fields.Bool(load_default=True)


class TargetPatch(ApiSchema):
    name = Text(validate=validate.Length(min=1, max=80))
    url = Text(allow_none=True, validate=validate.Length(max=2000))
    options = fields.Dict()
    secret_refs = fields.Dict()
    regions = BoundedList(Text(validate=validate.Length(max=16)), max_items=MAX_TARGET_REGIONS, allow_none=True)
    formats = BoundedList(Text(validate=validate.Length(max=32)), max_items=MAX_TARGET_FORMATS, allow_none=True)
    encodings = BoundedList(Text(validate=validate.Length(max=16)), max_items=len(ENCODINGS), allow_none=True,
                            metadata={"description": ENCODINGS_HELP})
    enabled = fields.Bool()
