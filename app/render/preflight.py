"""Preflight: shape and fit every string of a matrix against every format's zones, without pixels.

Uses the same measurements and closed-form fit as rendering (fit.plan without the final
shaping check), so a whole 19 x 8 matrix answers in milliseconds once fonts are loaded.
It cannot see faces or busyness (there is no image yet), so it reports the zones a block fits
in; the render picks among them on the real canvas.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Iterable

from .formats import Format
from .kit import KitSpec
from .locales import LocaleInfo
from .safe import logo_for_zone, safe_area
from .text.fit import measure
from .text.layout import clear_of_logo, fit_elements, size_basis
from .text.placement import candidate_zones
from .text.shaping import Shaper
from .variant import VariantSpec, build_variant_spec, text_inputs


def preflight_variant(spec: VariantSpec) -> dict:
    """One cell: missing glyphs, and per zone whether title/tagline/badge fit and at what size.
    The strings are the text stage's own (text_inputs), digits renumbered as the render draws them."""
    t, loc, fmt, kit = text_inputs(spec), spec.locale, spec.format, spec.kit
    shaper = Shaper.create(loc.script, loc.language, loc.rtl, kit.fonts)
    missing = sorted({c for s in (t.title, t.tagline, t.badge, t.kicker) if s
                      for c in measure(shaper, s, loc.tag).missing})
    zones = {}
    safe = safe_area(fmt, kit.margin)  # the same safe area the renderer uses
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
                     ratings: dict[str, str | None] | None = None,
                     release_dates: dict[str, dt.date | dt.datetime | None] | None = None) -> dict:
    """Every (locale, format): what will not fit or lacks glyphs. `titles` etc. are keyed by locale
    tag; a release date gives the copy line the render sets beside the rating."""
    t0 = time.perf_counter()
    formats = list(formats)
    cells = []
    for loc in locales:
        if loc.tag not in titles:
            raise KeyError(f"no title for locale {loc.tag}")
        for fmt in formats:
            spec = build_variant_spec(fmt, loc, kit, titles[loc.tag], rating=(ratings or {}).get(loc.tag),
                                      tagline=(taglines or {}).get(loc.tag),
                                      release_date=(release_dates or {}).get(loc.tag))
            cells.append(preflight_variant(spec))
    return {"ok": all(c["ok"] for c in cells), "checked": len(cells),
            "problems": [{"locale": c["locale"], "format": c["format"], **p} for c in cells for p in c["problems"]],
            "variants": cells, "elapsed_ms": round((time.perf_counter() - t0) * 1000, 2)}
