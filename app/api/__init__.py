"""REST JSON API under /api/v1, documented by flask-smorest from the code."""
from __future__ import annotations

from flask import Flask

from .errors import MarqueeApi


def init_api(app: Flask) -> MarqueeApi:
    api = MarqueeApi(app)
    from . import auth, brand_kits, exports, key_art, requests, review, titles, variants

    for module in (brand_kits, titles, key_art, requests, variants, exports, auth, review):
        api.register_blueprint(module.blp)
    from .preflight import blp as preflight_blp  # text preflight (issue 3)
    api.register_blueprint(preflight_blp)
    return api
