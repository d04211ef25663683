"""Preflight a request before any render job: every string shaped and fitted against every format."""
from __future__ import annotations

from ..render.formats import UPSCALE_WARN, Format, get_format, upscale_factor
from ..render.locales import get_locale
from ..render.preflight import preflight_matrix
from . import ServiceError
from .brand_kits import get_kit, kit_spec
from .key_art import get_key_art
from .requests import _validate_matrix
from .titles import get_title, strings_for


def size_warnings(width: int, height: int, formats: list[Format]) -> list[dict]:
    """One warning per format the source would be enlarged more than UPSCALE_WARN for."""
    out = []
    for fmt in formats:
        factor = upscale_factor(width, height, fmt)
        if factor > UPSCALE_WARN:
            out.append({"kind": "key_art_too_small", "format": fmt.key, "upscale_factor": round(factor, 2),
                        "key_art_size": [width, height], "format_size": [fmt.width, fmt.height],
                        "message": f"the key art ({width}x{height}) would be enlarged {factor:.1f}x for "
                                   f"{fmt.key} ({fmt.width}x{fmt.height}); above {UPSCALE_WARN:g}x it looks soft"})
    return out


def preflight(*, title_id: int, brand_kit_id: int, locales: list[str], formats: list[str],
              key_art_id: int | None = None) -> dict:
    """The title's localized strings (title, tagline, rating, copy line) against the kit and formats;
    with a key art, also each format it is too small for (`warnings`, upscale factor > 1.5)."""
    tags, fmts = _validate_matrix(locales, formats)
    title = get_title(title_id)
    kit = kit_spec(get_kit(brand_kit_id))
    warnings: list[dict] = []
    if key_art_id is not None:
        art = get_key_art(key_art_id)
        if art.title_id != title.id:
            raise ServiceError(f"key art {art.id} belongs to another title", status=422)
        source = art.textless or art  # what rendering will start from
        warnings = size_warnings(source.width, source.height, [get_format(f) for f in fmts])
    strings = {tag: strings_for(title, get_locale(tag)) for tag in tags}
    titles = {tag: s.title for tag, s in strings.items()}
    if not any(s.strip() for s in titles.values()):
        raise ServiceError("the title has no text to check", status=422)
    answer = preflight_matrix(titles, [get_locale(t) for t in tags], [get_format(f) for f in fmts], kit,
                              {tag: s.tagline for tag, s in strings.items()},
                              {tag: s.rating for tag, s in strings.items()},
                              {tag: s.release_date for tag, s in strings.items()})
    answer["warnings"] = warnings
    return answer
