"""The UI's languages: which have a catalog, which are written right to left, and which one a
request is answered in."""
from __future__ import annotations

from pathlib import Path

from flask import request

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
