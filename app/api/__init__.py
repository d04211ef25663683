"""REST JSON API under /api/v1, documented by flask-smorest from the code."""
from __future__ import annotations

from flask import Flask

from ..schemas.validation import IdConverter, id_param_schema
from . import auth, brand_kits, exports, key_art, preflight, requests, review, titles, variants
from .errors import MarqueeApi

#: Declared in the spec so that clients (and schemathesis) know every operation needs a token.
SECURITY_SCHEME = {"type": "http", "scheme": "bearer",
                   "description": "an API token: 'Authorization: Bearer mq_...'"}


def init_api(app: Flask) -> MarqueeApi:
    # Before any route is added: `<id:...>` matches 1 .. 2^31-1 only, so a huge id is a 404.
    app.url_map.converters["id"] = IdConverter
    api = MarqueeApi(app, spec_kwargs={"security": [{"bearerAuth": []}]})
    api.register_converter(IdConverter, id_param_schema)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for module in (brand_kits, titles, key_art, requests, variants, exports, auth, review, preflight):
        api.register_blueprint(module.blp)
    return api
