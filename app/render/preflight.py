"""Preflight: shape and fit every string of a matrix against every format's zones, without pixels.

Uses the same measurements and closed-form fit as rendering (fit.plan without the final
shaping check), so a whole 19 x 8 matrix answers in milliseconds once fonts are loaded.
It cannot see faces or busyness (there is no image yet), so it reports the zones a block fits
in; the render picks among them on the real canvas.
"""
from __future__ import annotations

import time
from typing import Iterable

from .formats import Format
from .kit import KitSpec
from .locales import LocaleInfo
from .safe import logo_for_zone, safe_area
from .text.layout import TextInputs, clear_of_logo, fit_elements, size_basis
from .text.placement import candidate_zones
from .text.shaping import Shaper
from .text.fit import measure


def _inputs(title: str, tagline: str | None, rating: str | None, kicker: str | None, loc: LocaleInfo,
            fmt: Format, kit: KitSpec) -> TextInputs:
    return TextInputs(title=title, tagline=tagline, badge=rating, kicker=kicker, locale_tag=loc.tag,
                      script=loc.script, language=loc.language, rtl=loc.rtl, fonts=kit.fonts,
                      title_size=kit.title_size, tagline_size=kit.tagline_size, badge_size=kit.badge_size,
                      max_lines=kit.title_max_lines, min_text_px=fmt.min_text_px, text_color=kit.text_color,
                      scrim_color=kit.scrim_color, treatment=kit.treatment, contrast_target=kit.contrast_target,
                      mirror_rtl=kit.mirror_rtl)


def safe_box(fmt: Format, margin: float):
    return safe_area(fmt, margin)  # the same safe area the renderer uses


def preflight_variant(title: str, loc: LocaleInfo, fmt: Format, kit: KitSpec, tagline: str | None = None,
                      rating: str | None = None, kicker: str | None = None) -> dict:
    """One cell: missing glyphs, and per zone whether title/tagline/badge fit and at what size."""
    t = _inputs(title, tagline, rating, kicker, loc, fmt, kit)
    shaper = Shaper.create(loc.script, loc.language, loc.rtl, kit.fonts)
    missing = sorted({c for s in (title, tagline, rating, kicker) if s for c in measure(shaper, s, loc.tag).missing})
    zones = {}
    safe = safe_box(fmt, kit.margin)
    rtl_first = loc.rtl and kit.mirror_rtl
    for name, zone in candidate_zones(fmt.aspect, safe, rtl_first):
        # the same logo keep-out the renderer uses (faces are not known before the render)
        zone = clear_of_logo(zone, logo_for_zone(kit, fmt, safe, name, rtl_first, []))
        elements = fit_elements(t, zone, size_basis(fmt.width, fmt.height), verify=False)
        zones[name] = {e.role: {"fits": e.plan.fits, "size_px": e.plan.size, "lines": list(e.plan.lines),
                                "text_height_px": e.plan.text_height, "overflow_px": e.plan.overflow_px}
                       for e in elements}
    fitting = [z for z, els in zones.items() if all(e["fits"] for e in els.values())]
    problems = []
    if missing:
        problems.append({"kind": "missing_glyph", "chars": missing,
                         "codepoints": [f"U+{ord(c[0]):04X}" for c in missing]})
    if not fitting:
        worst = {role: min(z[role]["overflow_px"] for z in zones.values() if role in z)
                 for role in next(iter(zones.values()))}
        problems.append({"kind": "does_not_fit", "roles": [r for r, o in worst.items()
                                                              if not any(z[r]["fits"] for z in zones.values())],
                         "min_overflow_px": worst})
    return {"locale": loc.tag, "format": fmt.key, "ok": not problems, "fits_in": fitting,
            "problems": problems, "zones": zones}


def preflight_matrix(titles: dict[str, str], locales: Iterable[LocaleInfo], formats: Iterable[Format],
                     kit: KitSpec, taglines: dict[str, str | None] | None = None,
                     ratings: dict[str, str | None] | None = None, kickers: dict[str, str | None] | None = None
                     ) -> dict:
    """Every (locale, format): what will not fit or lacks glyphs. `titles` etc. are keyed by locale tag."""
    t0 = time.perf_counter()
    formats = list(formats)
    cells = []
    for loc in locales:
        if loc.tag not in titles:
            raise KeyError(f"no title for locale {loc.tag}")
        for fmt in formats:
            cells.append(preflight_variant(titles[loc.tag], loc, fmt, kit, (taglines or {}).get(loc.tag),
                                           (ratings or {}).get(loc.tag), (kickers or {}).get(loc.tag)))
    return {"ok": all(c["ok"] for c in cells), "checked": len(cells),
            "problems": [{"locale": c["locale"], "format": c["format"], **p} for c in cells for p in c["problems"]],
            "variants": cells, "elapsed_ms": round((time.perf_counter() - t0) * 1000, 2)}
