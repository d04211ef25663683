"""Localized marketing copy: gettext phrases (domain "marketing"), Babel dates, CLDR digits, ratings.

Catalogs live in locales/<ll_RR>/LC_MESSAGES/marketing.po and are compiled with pybabel
(scripts/setup.sh); a missing or stale .mo is compiled here from its .po, so a fresh checkout
renders the same copy. Plurals follow each catalog's Plural-Forms (Arabic has six).
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import icu
from babel import Locale
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "marketing"
PHRASES = ("Now streaming", "New season", "Watch now", "Coming {date}", "Season {number}")
EPISODES = ("{count} episode", "{count} episodes")
# The time zone a region's release day is counted in (its most populous zone).
REGION_ZONE = {
    "US": "America/New_York", "MX": "America/Mexico_City", "BR": "America/Sao_Paulo", "FR": "Europe/Paris",
    "DE": "Europe/Berlin", "IT": "Europe/Rome", "PL": "Europe/Warsaw", "TR": "Europe/Istanbul",
    "RU": "Europe/Moscow", "SA": "Asia/Riyadh", "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata",
    "TH": "Asia/Bangkok", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "CN": "Asia/Shanghai", "TW": "Asia/Taipei",
    "ID": "Asia/Jakarta", "VN": "Asia/Ho_Chi_Minh",
}


def catalog_dir(tag: str) -> str:
    """"pt-BR" -> "pt_BR" (the folder under locales/)."""
    return tag.replace("-", "_")


def _compile_if_stale(name: str) -> None:
    po = LOCALES_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        with po.open("rb") as f:
            catalog = read_po(f, locale=name, domain=DOMAIN)
        with mo.open("wb") as f:
            write_mo(f, catalog)


@lru_cache(maxsize=None)
def translations(tag: str) -> Translations:
    """The compiled catalog for a locale; LookupError if the locale has none."""
    name = catalog_dir(tag)
    _compile_if_stale(name)
    t = Translations.load(str(LOCALES_DIR), [name], domain=DOMAIN)
    if not isinstance(t, Translations):
        raise LookupError(f"no {DOMAIN} catalog for {tag} under {LOCALES_DIR}")
    return t


def _babel(tag: str) -> Locale:
    return Locale.parse(tag, sep="-")


@lru_cache(maxsize=None)
def numbering_digits(tag: str) -> str:
    """The ten digits of CLDR's default numbering system for the locale (Babel names the system,
    ICU knows its digits): "٠١٢٣٤٥٦٧٨٩" for ar-SA, "0123456789" for most."""
    system = _babel(tag).default_numbering_system
    ns = icu.NumberingSystem.createInstanceByName(system)
    desc = ns.getDescription()
    if ns.isAlgorithmic() or len(desc) != 10:
        return "0123456789"
    return desc


def digits(text: str, tag: str) -> str:
    """ASCII digits in text rewritten in the locale's default numbering system."""
    return text.translate({ord(str(d)): c for d, c in enumerate(numbering_digits(tag))})


@lru_cache(maxsize=None)
def system_digits(tag: str, system: str = "default") -> str:
    """The ten digits of a numbering system ("latn", "arab", ...); "default" is the locale's CLDR
    default. An unknown or algorithmic system raises ValueError naming it."""
    if system == "default":
        return numbering_digits(tag)
    try:
        ns = icu.NumberingSystem.createInstanceByName(system)
    except icu.ICUError:
        raise ValueError(f"unknown numbering system {system!r}") from None
    desc = ns.getDescription() if ns is not None else ""
    if ns is None or ns.isAlgorithmic() or len(desc) != 10:
        raise ValueError(f"numbering system {system!r} is not a decimal digit system")
    return desc


def renumber(text: str, tag: str, system: str = "default") -> str:
    """Every decimal digit of any script in text rewritten in one numbering system, so a tagline's
    "400" and a date's "٦" never mix in one image."""
    target = system_digits(tag, system)
    return "".join(target[unicodedata.decimal(c)] if c.isdecimal() else c for c in text)


def number(n: int, tag: str) -> str:
    """An integer with the locale's grouping (Babel) and digits (CLDR default numbering system)."""
    loc = _babel(tag)
    return digits(format_decimal(n, locale=loc, numbering_system=loc.default_numbering_system), tag)


def release_day(when: dt.date | dt.datetime, region: str) -> dt.date:
    """The calendar day a release falls on in the region's time zone (dates pass through)."""
    if isinstance(when, dt.datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
        return aware.astimezone(ZoneInfo(REGION_ZONE.get(region, "UTC"))).date()
    return when


def localized_date(when: dt.date | dt.datetime, tag: str) -> str:
    """Day and month as the locale writes them ("March 5", "5 mars", "3月5日")."""
    loc = _babel(tag)
    return digits(format_skeleton("MMMMd", release_day(when, loc.territory or ""), locale=loc), tag)


def phrase(msgid: str, tag: str, **values) -> str:
    if msgid not in PHRASES:
        raise KeyError(f"unknown phrase {msgid!r}; known: {', '.join(PHRASES)}")
    return translations(tag).gettext(msgid).format(**values)


def now_streaming(tag: str) -> str:
    return phrase("Now streaming", tag)


def new_season(tag: str) -> str:
    return phrase("New season", tag)


def watch_now(tag: str) -> str:
    return phrase("Watch now", tag)


def coming(when: dt.date | dt.datetime, tag: str) -> str:
    return phrase("Coming {date}", tag, date=localized_date(when, tag))


def season(n: int, tag: str) -> str:
    return phrase("Season {number}", tag, number=number(n, tag))


def episodes(count: int, tag: str) -> str:
    return translations(tag).ngettext(*EPISODES, count).format(count=number(count, tag))


def rating_badge(rating: str | None) -> str | None:
    """The region's age rating as printed on the badge (official marks are not translated)."""
    text = (rating or "").strip()
    return text or None


def kicker(release: dt.date | dt.datetime | None, tag: str, today: dt.date | None = None) -> str | None:
    """The copy line beside the badge: "Coming <date>" before release, "Now streaming" after."""
    if release is None:
        return None
    region = _babel(tag).territory or ""
    today = today or dt.datetime.now(ZoneInfo(REGION_ZONE.get(region, "UTC"))).date()
    return coming(release, tag) if release_day(release, region) > today else now_streaming(tag)
