"""Server-rendered review UI (Flask + Jinja, templates/web/), translated with Flask-Babel."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import Babel

from ..auth import current_user

LOCALES_DIR = Path(__file__).resolve().parent.parent.parent / "locales"
#: UI languages with a catalog in locales/<code>/LC_MESSAGES/messages.po
UI_LANGUAGES = {"en": "English", "ja": "日本語", "ar": "العربية", "pt_BR": "Português (Brasil)",
                "de": "Deutsch", "fr": "Français", "ko": "한국어", "hi": "हिन्दी"}
RTL = {"ar", "he", "fa", "ur"}


def select_locale() -> str:
    """The person's profile language, else the browser's Accept-Language, else English."""
    user = current_user()
    if user is not None and user.ui_locale in UI_LANGUAGES:
        return user.ui_locale
    best = request.accept_languages.best_match(
        list(UI_LANGUAGES) + [c.replace("_", "-") for c in UI_LANGUAGES if "_" in c] + ["pt"])
    if best in ("pt-BR", "pt"):
        return "pt_BR"
    return best or "en"


def init_web(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(LOCALES_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    if "babel" not in app.extensions:
        Babel(app, locale_selector=select_locale)
    from .views import bp
    from . import exports_views  # noqa: F401  (adds the export pages to bp before it is registered)
    from . import report_view  # noqa: F401  (the quality report helpers for the variant page)
    from . import audit_views  # noqa: F401  (the audit trail page)

    app.register_blueprint(bp)
    from .errors import init_errors

    init_errors(app)

    @app.context_processor
    def _ui_globals():
        from flask_babel import get_locale

        loc = str(get_locale() or "en")
        return {"ui_lang": loc.replace("_", "-"), "ui_dir": "rtl" if loc.split("_")[0] in RTL else "ltr",
                "ui_languages": UI_LANGUAGES}
