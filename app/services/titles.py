"""Titles and their localized metadata (title, tagline, release date, age rating)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Title, TitleLocalization, TitleRelease
from ..render.locales import LocaleInfo, UnsupportedLocale, get_locale
from . import Conflict, NotFound, ServiceError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")


def create_title(data: dict[str, Any]) -> Title:
    """Create a title with its localizations and releases in one transaction."""
    slug = data["slug"]
    if not _SLUG.match(slug):
        raise ServiceError(f"slug {slug!r} must be lowercase letters, digits and dashes")
    if db.session.scalar(select(Title.id).where(Title.slug == slug)) is not None:
        raise Conflict(f"a title with slug {slug!r} already exists")
    try:
        original_locale = get_locale(data["original_locale"]).tag
        locs = [TitleLocalization(locale=get_locale(l["locale"]).tag, title=l["title"],
                                  tagline=l.get("tagline")) for l in data.get("localizations", [])]
    except UnsupportedLocale as exc:
        raise ServiceError(str(exc), status=422) from None
    seen = [l.locale for l in locs]
    dupes = sorted({l for l in seen if seen.count(l) > 1})
    if dupes:
        raise ServiceError(f"localizations repeat locale(s): {', '.join(dupes)}", status=422)
    releases = []
    for r in data.get("releases", []):
        region = str(r["region"]).upper()
        releases.append(TitleRelease(region=region, release_date=r.get("release_date"),
                                     age_rating=r.get("age_rating")))
    title = Title(slug=slug, original_title=data["original_title"], original_locale=original_locale,
                  localizations=locs, releases=releases)
    db.session.add(title)
    db.session.commit()
    return title


def get_title(title_id: int) -> Title:
    title = db.session.get(Title, title_id)
    if title is None:
        raise NotFound(f"title {title_id} does not exist")
    return title


def title_by_slug(slug: str) -> Title | None:
    return db.session.scalar(select(Title).where(Title.slug == slug))


@dataclass(frozen=True)
class TitleStrings:
    """What a variant of the title sets in one locale (the original title where none is localized)."""
    title: str
    tagline: str | None
    rating: str | None
    release_date: date | None


def strings_for(title: Title, locale: LocaleInfo) -> TitleStrings:
    """The title's strings for a locale: its localization, and the release in the locale's region."""
    l10n = title.localized(locale.tag)
    release = title.release(locale.region)
    return TitleStrings(title=l10n.title if l10n else title.original_title,
                        tagline=l10n.tagline if l10n else None,
                        rating=release.age_rating if release else None,
                        release_date=release.release_date if release else None)
