"""The text stage's layout: choose a zone, fit title + tagline + badge into it, clear of faces,
baked-in text and the logo (render.render_text then treats, draws and measures it).

Pure: takes the canvas size, its maps and plain data; no pixel is drawn here.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

from ..geometry import Box
from ..safe import padded_for_text
from .fit import Plan, measure, plan
from .model import Element, TextInputs, TextLayout
from .placement import Maps, candidate_zones, face_overlap, score_zone
from .shaping import Shaper, line_width
from .vertical import plan_vertical

__all__ = ["Element", "TextInputs", "TextLayout", "clear_of_logo", "fit_elements", "layout_text", "size_basis",
           "small_min_px"]

GAP = 0.28  # gap between stacked elements, fraction of the title's line height
CRAMPED_SHARE = 0.5  # text set in a part under this share of its band's width or height is cramped


def _shaper(t: TextInputs) -> Shaper:
    return Shaper.create(t.script, t.language, t.rtl, t.fonts)


def _fit(shaper: Shaper, t: TextInputs, text: str, w: int, h: int, size_frac: tuple[float, float],
         basis: int, max_lines: int, min_px: int, hi_cap: int | None = None, verify: bool = True) -> Plan:
    m = measure(shaper, text, t.locale_tag)
    lo, hi = math.ceil(size_frac[0] * basis), math.floor(size_frac[1] * basis)
    if hi_cap is not None:
        hi = max(1, min(hi, hi_cap))
        lo = min(lo, hi)
    return plan(m, w, h, lo, hi, max_lines, min_px, shaper if verify else None)


def size_basis(w: int, h: int) -> int:
    """What the kit's size fractions are fractions of: the canvas' geometric mean side, so a 3:1
    banner and a 9:16 story of similar area get similar type, not type scaled by height alone."""
    return round(math.sqrt(w * h))


def small_min_px(min_text_px: int, role: str) -> int:
    """Minimum ink height for the secondary lines, from the format's title minimum."""
    return max(9, round(min_text_px * (0.42 if role == "tagline" else 0.36)))


def fit_elements(t: TextInputs, zone: Box, basis: int, verify: bool = True) -> list[Element]:
    """Fit badge row, tagline and title into a zone (title gets what the others leave), so that
    the stacked block, gaps included, is no taller than the zone."""
    shaper = _shaper(t)
    badge: Element | None = None
    badge_text = "  ".join(x for x in (t.badge, t.kicker) if x)
    if badge_text:
        badge = _fit_badge(shaper, t, badge_text, zone, basis, verify)

    def fit_tagline(cap: int | None = None) -> Plan | None:
        if not t.tagline:
            return None
        return _fit(shaper, t, t.tagline, zone.w, round(zone.h * 0.26), t.tagline_size, basis, 2,
                    small_min_px(t.min_text_px, "tagline"), hi_cap=cap, verify=verify)

    tag = fit_tagline()
    title_h = zone.h
    elements: list[Element] = []
    for _ in range(6):
        title = _fit(shaper, t, t.title, zone.w, max(1, title_h), t.title_size, basis, t.max_lines,
                     t.min_text_px, verify=verify)
        tag_now = fit_tagline(round(title.size * 0.5)) if tag is not None and tag.size > title.size * 0.5 else tag
        candidate = [Element("title", t.title, title)]
        if tag_now is not None:
            candidate.append(Element("tagline", t.tagline or "", tag_now))
        if badge is not None:
            candidate.append(badge)
        total = _stack_height(candidate)
        if not elements or (title.fits and total <= zone.h):
            elements = candidate
        if total <= zone.h or not title.fits:
            break
        # the gaps scale with the title, so shrink its box in proportion and try again
        title_h = min(title.height - 1, int(title.height * zone.h / total))
    return elements


def _fit_badge(shaper: Shaper, t: TextInputs, badge_text: str, zone: Box, basis: int, verify: bool) -> Element:
    """The rating and the copy line in one row; in a column too narrow for that row at the
    smallest badge size, the copy line goes under the rating (in one or two lines) instead of
    running out of the column, cut by the edge of the text's window."""
    size = max(round(t.badge_size * basis), 1)
    extra = {"rating": t.badge or "", "kicker": t.kicker or "", "rows": 1}

    def fit(text: str, lines: int, width: int | None = None) -> Plan:
        return _fit(shaper, t, text, round(zone.w * 0.9) if width is None else width,
                    max(round(size * 3), zone.h // 4) * lines, (t.badge_size * 0.6, t.badge_size), basis, lines,
                    small_min_px(t.min_text_px, "badge"), verify=verify)

    def row_width(p: Plan) -> int:
        return _badge_width(Element("badge", badge_text, p, extra=extra))

    p = fit(badge_text, 1)
    over = row_width(p) - zone.w
    if p.fits and over > 0:
        # the rating's box padding and the gap ran the row past the column: fit the text narrower
        p = fit(badge_text, 1, max(1, round(zone.w * 0.9) - over))
        if row_width(p) > zone.w:
            p = replace(p, fits=False)
    if p.fits or not (t.badge and t.kicker):
        return Element("badge", badge_text, p, extra=extra)
    kicker = fit(t.kicker, 2)
    rating_w = round(line_width(replace(shaper, rtl=False), t.badge, kicker.size)) if verify else 0
    if not kicker.fits or rating_w + 2 * round(kicker.size * 0.3) > zone.w:
        return Element("badge", badge_text, p, extra=extra)
    return Element("badge", badge_text, kicker, extra={**extra, "rows": 1 + len(kicker.lines), "rating_w": rating_w})


def badge_row_h(size: int) -> int:
    """One row of the badge: the rating's box with its padding."""
    return round(size * 1.55)


def _heights(elements: list[Element]) -> list[int]:
    return [badge_row_h(e.plan.size) * e.extra.get("rows", 1) if e.role == "badge" else e.plan.height
            for e in elements]


def _stack_height(elements: list[Element]) -> int:
    gap = round(elements[0].plan.line_h * GAP) if elements else 0
    return sum(_heights(elements)) + gap * (len(elements) - 1)


def _stack(elements: list[Element], zone: Box, zone_name: str, align: str) -> None:
    """Position elements top to bottom (title, tagline, badge) inside the zone."""
    gap = round(elements[0].plan.line_h * GAP) if elements else 0
    heights = _heights(elements)
    total = _stack_height(elements)
    if zone_name == "bottom":
        y = zone.bottom - total
    elif zone_name == "top":
        y = zone.y
    else:
        y = zone.y + (zone.h - total) // 2
    for e, h in zip(elements, heights):
        w = _badge_width(e) if e.role == "badge" else e.plan.width
        x = zone.x if align == "left" else zone.right - w if align == "right" else zone.x + (zone.w - w) // 2
        e.box, e.align = Box(x, y, w, h), align
        y += h + gap


def _badge_width(e: Element) -> int:
    """A one-row badge: the row's text plus the rating box's padding and the gap; in rows: the
    wider of the rating's box and the copy line's lines."""
    if e.extra.get("rows", 1) > 1:
        return max(e.plan.width, e.extra["rating_w"] + 2 * round(e.plan.size * 0.3))
    return e.plan.width + 2 * round(e.plan.size * 0.6)


def layout_text(t: TextInputs, canvas_size: tuple[int, int], safe: Box, faces: list[Box],
                maps: Maps | None, fmt_key: str, art_text: list[Box] = (), logo: Box | None = None,
                logo_for: Callable[[str], Box | None] | None = None,
                heads: list[Box] | None = None) -> TextLayout:
    """Score zones on the canvas, fit in the best ones, keep the first that fits clear of faces,
    baked-in text and the logo. A zone that touches a face is also tried cut down to its parts
    beside, above and below the faces, so faces win over a bigger title. `heads` (one per face,
    Analysis.heads on the canvas) widens a turned face to its skull.

    `logo_for(zone name)` says where the logo goes with each zone (safe.logo_for_zone); without
    it the fixed `logo` box is kept clear of (except by "top", which moves the logo down)."""
    w, h = canvas_size
    shaper = _shaper(t)
    rtl_first = t.rtl and t.mirror_rtl
    protect = padded_for_text(faces, heads)

    def logo_of(name: str) -> Box | None:
        if logo_for is not None:
            return logo_for(name)
        return None if name == "top" else logo

    zones = [(name, clear_of_logo(z, logo_of(name)))
             for name, z in candidate_zones(w / h, safe, rtl_first, t.zone)]
    scored = sorted(((score_zone(i, z, protect, maps, art_text), name, z) for i, (name, z) in enumerate(zones)),
                    key=lambda s: s[0]["score"])
    # A zone asked for in review is tried first; it still has to fit clear of faces, art text and logo.
    scored.sort(key=lambda s: s[1] != t.zone)
    scores = {name: s for s, name, _ in scored}
    # Each zone whole, then its parts clear of faces; columns under a third of the band's width
    # only when nothing wider fits. Text set in a part under half its band's width or height
    # (squeezed beside, above or below a face) is cramped: the render may then move the art to
    # give it room (pipeline step 3).
    wide, narrow = [], []
    for _, name, zone in scored:
        wide.append((name, zone, "center" if name in ("top", "bottom") else name, zone))
        for part, align in _face_free_parts(zone, protect, name):
            (wide if part.w >= zone.w * 0.34 else narrow).append((name, part, align, zone))
    choice = None
    for name, part, align, band in wide + narrow:
        lg = logo_of(name)
        elements = fit_elements(t, part, size_basis(w, h))
        _stack(elements, part, name, align)
        overlap = sum(face_overlap(e.box, protect) for e in elements)
        on_text = sum(face_overlap(e.box, list(art_text) + ([lg] if lg else [])) for e in elements)
        ok = all(e.plan.fits for e in elements) and overlap == 0 and on_text == 0
        key = (not ok, overlap, on_text, not all(e.plan.fits for e in elements))
        if choice is None or key < choice[0]:
            choice = (key, name, part, elements, lg,
                      part.w < band.w * CRAMPED_SHARE or part.h < band.h * CRAMPED_SHARE)
        if ok:
            break
    _, name, zone, elements, lg, cramped = choice
    if t.vertical:
        _verticalize(t, shaper, elements, safe, protect, size_basis(w, h))
    missing = sorted({c for e in elements for c in measure(shaper, e.text, t.locale_tag).missing})
    return TextLayout(name, zone, elements, scores, shaper, missing, t.zone, lg, tuple(protect), cramped)


def _face_free_parts(zone: Box, faces: list[Box], name: str) -> list[tuple[Box, str]]:
    """The zone's largest parts beside the faces it touches and towards its own canvas edge
    (below them for "bottom", above for "top", both for a side column), biggest first, with the
    alignment text takes there (towards the canvas edge for a part beside a face)."""
    hit = [f for f in faces if zone.intersection(f)]
    if not hit:
        return []
    top, bottom = min(f.y for f in hit), max(f.bottom for f in hit)
    left, right = min(f.x for f in hit), max(f.right for f in hit)
    band = "center" if name in ("top", "bottom") else name
    parts = [(Box(zone.x, bottom, zone.w, zone.bottom - bottom), band) if name != "top" else None,
             # a band keeps to its own edge of the canvas: no "top" text under a face
             (Box(zone.x, zone.y, zone.w, top - zone.y), band) if name != "bottom" else None,
             (Box(zone.x, zone.y, left - zone.x, zone.h), "left"),
             (Box(right, zone.y, zone.right - right, zone.h), "right")]
    useful = [(b, a) for b, a in filter(None, parts) if b.w >= zone.w * 0.2 and b.h >= zone.h * 0.22 and b.w > 0 and b.h > 0]
    return sorted(useful, key=lambda p: -p[0].area)


def clear_of_logo(zone: Box, logo: Box | None) -> Box:
    """The zone without the band the logo takes at its top or bottom (whichever leaves more)."""
    if logo is None or zone.intersection(logo) == 0:
        return zone
    gap = max(4, logo.h // 3)
    below = Box(zone.x, logo.bottom + gap, zone.w, zone.bottom - logo.bottom - gap)
    above = Box(zone.x, zone.y, zone.w, logo.y - gap - zone.y)
    best = max((below, above), key=lambda b: b.h)
    return best if best.h > zone.h // 3 else zone


def _verticalize(t: TextInputs, shaper: Shaper, elements: list[Element], safe: Box, faces: list[Box],
                 basis: int) -> None:
    """Move the title into a top-to-bottom column block at the right (or left) of the safe area."""
    title = elements[0]
    col = Box(safe.right - round(safe.w * 0.3), safe.y, round(safe.w * 0.3), round(safe.h * 0.58))
    if face_overlap(col, faces):
        col = Box(safe.x, safe.y, col.w, col.h)
    lo = max(math.ceil(t.title_size[0] * basis), math.ceil(t.min_text_px / 0.75))
    hi = math.floor(t.title_size[1] * basis)
    vp = plan_vertical(shaper, t.title, t.locale_tag, col.w, col.h, lo, max(lo, hi), t.max_lines)
    right = col.right if col.x > safe.x else col.x + vp.width
    title.plan, title.vertical = vp, True
    title.box = Box(right - vp.width, col.y, vp.width, vp.height)
