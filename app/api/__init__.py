"""REST JSON API under /api/v1, documented by flask-smorest from the code."""
from __future__ import annotations

from flask import Flask

from .errors import MarqueeApi
from .validation import IdConverter, id_param_schema

#: Declared in the spec so that clients (and schemathesis) know every operation needs a token.
SECURITY_SCHEME = {"type": "http", "scheme": "bearer",
                   "description": "an API token: 'Authorization: Bearer mq_...'"}


def init_api(app: Flask) -> MarqueeApi:
    # Before any route is added: `<id:...>` matches 1 .. 2^31-1 only, so a huge id is a 404.
    app.url_map.converters["id"] = IdConverter
    api = MarqueeApi(app, spec_kwargs={"security": [{"bearerAuth": []}]})
    api.register_converter(IdConverter, id_param_schema)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    from . import auth, brand_kits, exports, key_art, requests, review, titles, variants

    for module in (brand_kits, titles, key_art, requests, variants, exports, auth, review):
        api.register_blueprint(module.blp)
    from .preflight import blp as preflight_blp  # text preflight (issue 3)
    api.register_blueprint(preflight_blp)
    return api
