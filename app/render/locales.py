"""Supported locales, parsed with Babel, and what rendering needs to know of each."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

SUPPORTED_LOCALES: tuple[str, ...] = (
    "en-US", "es-MX", "pt-BR", "fr-FR", "de-DE", "it-IT", "pl-PL", "tr-TR", "ru-RU",
    "ar-SA", "he-IL", "hi-IN", "th-TH", "ja-JP", "ko-KR", "zh-CN", "zh-TW", "id-ID", "vi-VN",
)

# Main script of each language's marketing copy (ISO 15924), used to pick fonts and OCR.
_SCRIPT_BY_LANGUAGE = {
    "ar": "Arab", "he": "Hebr", "hi": "Deva", "th": "Thai", "ja": "Jpan", "ko": "Kore",
    "ru": "Cyrl",
}


@dataclass(frozen=True)
class LocaleInfo:
    tag: str           # BCP 47 as the API speaks it: "pt-BR"
    babel: Locale
    script: str        # ISO 15924: "Latn", "Arab", "Hans", ...
    rtl: bool

    @property
    def region(self) -> str:
        return self.babel.territory or ""

    @property
    def language(self) -> str:
        return self.babel.language


class UnsupportedLocale(ValueError):
    pass


@lru_cache(maxsize=None)
def get_locale(tag: str) -> LocaleInfo:
    """Parse a BCP 47 tag with Babel and check that Marquee supports it."""
    if not isinstance(tag, str) or not tag:
        raise UnsupportedLocale("locale must be a non-empty string such as 'pt-BR'")
    try:
        loc = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError) as exc:
        raise UnsupportedLocale(f"{tag!r} is not a valid locale tag: {exc}") from None
    canonical = f"{loc.language}-{loc.territory}" if loc.territory else loc.language
    if canonical not in SUPPORTED_LOCALES:
        raise UnsupportedLocale(
            f"locale {tag!r} is not supported; supported: {', '.join(SUPPORTED_LOCALES)}"
        )
    if loc.language == "zh":
        script = "Hant" if loc.territory == "TW" else "Hans"
    else:
        script = _SCRIPT_BY_LANGUAGE.get(loc.language, "Latn")
    return LocaleInfo(tag=canonical, babel=loc, script=script, rtl=loc.character_order == "right-to-left")
