"""Server-rendered review UI (Flask + Jinja, templates/web/), translated with Flask-Babel.

Every page module adds its routes to one blueprint ("web"), so endpoint names read web.<view>."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import Babel, get_locale

# the page modules add their routes and template helpers to bp when imported
from . import audit_views, campaign_views, decision_views, exports_views, login_views  # noqa: F401
from . import report_view, variant_views  # noqa: F401
from .blueprint import bp
from .errors import init_errors
from .languages import LOCALES_DIR, RTL, UI_LANGUAGES, select_locale

__all__ = ["LOCALES_DIR", "RTL", "UI_LANGUAGES", "init_web", "select_locale"]


def init_web(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(LOCALES_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    if "babel" not in app.extensions:
        Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    init_errors(app)
    app.context_processor(_ui_globals)


def _ui_globals() -> dict[str, Any]:
    loc = str(get_locale() or "en")
    return {"ui_lang": loc.replace("_", "-"), "ui_dir": "rtl" if loc.split("_")[0] in RTL else "ltr",
            "ui_languages": UI_LANGUAGES}
