"""Preflight a request before any render job: every string shaped and fitted against every format."""
from __future__ import annotations

from ..render import copy as marketing_copy
from ..render.formats import get_format
from ..render.locales import get_locale
from ..render.preflight import preflight_matrix
from . import ServiceError
from .brand_kits import get_kit, kit_spec
from .requests import _validate_matrix
from .titles import get_title


def preflight(*, title_id: int, brand_kit_id: int, locales: list[str], formats: list[str]) -> dict:
    """The title's localized strings (title, tagline, rating, copy line) against the kit and formats."""
    tags, fmts = _validate_matrix(locales, formats)
    title = get_title(title_id)
    kit = kit_spec(get_kit(brand_kit_id))
    titles, taglines, ratings, kickers = {}, {}, {}, {}
    for tag in tags:
        loc = get_locale(tag)
        l10n = title.localized(tag)
        release = title.release(loc.region)
        titles[tag] = l10n.title if l10n else title.original_title
        taglines[tag] = l10n.tagline if l10n else None
        ratings[tag] = release.age_rating if release else None
        kickers[tag] = marketing_copy.kicker(release.release_date if release else None, tag)
    if not any(s.strip() for s in titles.values()):
        raise ServiceError("the title has no text to check", status=422)
    return preflight_matrix(titles, [get_locale(t) for t in tags], [get_format(f) for f in fmts], kit,
                            taglines, ratings, kickers)
