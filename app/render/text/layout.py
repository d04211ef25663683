"""The text stage of a variant: choose a zone, fit title + tagline + badge, make them legible, draw.

Pure: takes a canvas and plain data, returns the report's "text" section. Every element is
measured after drawing (contrast behind its glyphs, ink height, overflow), never assumed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

from ..geometry import Box
from ..safe import padded_faces
from . import legibility
from .fit import Plan, measure, plan
from .placement import Maps, candidate_zones, face_overlap, score_zone
from .shaping import Shaper, draw_line, fonts_used, line_width, metrics
from .vertical import VerticalPlan, draw_vertical, plan_vertical

GAP = 0.28  # gap between stacked elements, fraction of the title's line height


@dataclass(frozen=True)
class TextInputs:
    """Everything the text stage needs, free of the pipeline's types."""
    title: str
    tagline: str | None
    badge: str | None          # the region's age rating, drawn boxed
    kicker: str | None         # localized copy line next to the badge ("Coming 5 March")
    locale_tag: str
    script: str
    language: str
    rtl: bool
    fonts: dict[str, list[str]]
    title_size: tuple[float, float]
    tagline_size: tuple[float, float]
    badge_size: float
    max_lines: int
    min_text_px: int
    text_color: tuple[int, int, int]
    scrim_color: tuple[int, int, int]
    treatment: str = "scrim"
    contrast_target: float = 4.5
    mirror_rtl: bool = True
    vertical: bool = False
    zone: str | None = None    # a re-render's text zone ("top", ...): tried first, kept unless unsafe


@dataclass
class Element:
    role: str
    text: str
    plan: Plan | VerticalPlan
    box: Box = Box(0, 0, 0, 0)
    align: str = "center"
    vertical: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class TextLayout:
    zone_name: str
    zone: Box
    elements: list[Element]
    scores: dict
    shaper: Shaper
    missing: list[str]
    requested_zone: str | None = None      # the zone a re-render asked for, whether or not it was kept
    logo: Box | None = None                # where the logo goes with this zone (clear of faces and text)
    protect: tuple[Box, ...] = ()          # faces (padded): no text on them, no treatment darkening them
    window: Box | None = None              # set by render_text: where the text was measured ...
    art_window: np.ndarray | None = None   # ... and the untreated art there (for audits and tests)


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
        size = max(round(t.badge_size * basis), 1)
        p = _fit(shaper, t, badge_text, round(zone.w * 0.9), max(round(size * 3), zone.h // 4),
                 (t.badge_size * 0.6, t.badge_size), basis, 1, small_min_px(t.min_text_px, "badge"), verify=verify)
        badge = Element("badge", badge_text, p, extra={"rating": t.badge or "", "kicker": t.kicker or ""})

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


def _heights(elements: list[Element]) -> list[int]:
    return [round(e.plan.size * 1.55) if e.role == "badge" else e.plan.height for e in elements]


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
        w = e.plan.width + (round(e.plan.size * 0.6) + round(e.plan.size * 0.6) if e.role == "badge" else 0)
        x = zone.x if align == "left" else zone.right - w if align == "right" else zone.x + (zone.w - w) // 2
        e.box, e.align = Box(x, y, w, h), align
        y += h + gap


def layout_text(t: TextInputs, canvas_size: tuple[int, int], safe: Box, faces: list[Box],
                maps: Maps | None, fmt_key: str, art_text: list[Box] = (), logo: Box | None = None,
                logo_for: Callable[[str], Box | None] | None = None) -> TextLayout:
    """Score zones on the canvas, fit in the best ones, keep the first that fits clear of faces,
    baked-in text and the logo. A zone that touches a face is also tried cut down to its parts
    beside, above and below the faces, so faces win over a bigger title.

    `logo_for(zone name)` says where the logo goes with each zone (safe.logo_for_zone); without
    it the fixed `logo` box is kept clear of (except by "top", which moves the logo down)."""
    w, h = canvas_size
    shaper = _shaper(t)
    rtl_first = t.rtl and t.mirror_rtl
    protect = padded_faces(faces)

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
    # (cramped type) only when nothing wider fits.
    wide, narrow = [], []
    for _, name, zone in scored:
        wide.append((name, zone, "center" if name in ("top", "bottom") else name))
        for part, align in _face_free_parts(zone, protect, name):
            (wide if part.w >= zone.w * 0.34 else narrow).append((name, part, align))
    choice = None
    for name, part, align in wide + narrow:
        lg = logo_of(name)
        elements = fit_elements(t, part, size_basis(w, h))
        _stack(elements, part, name, align)
        overlap = sum(face_overlap(e.box, protect) for e in elements)
        on_text = sum(face_overlap(e.box, list(art_text) + ([lg] if lg else [])) for e in elements)
        ok = all(e.plan.fits for e in elements) and overlap == 0 and on_text == 0
        key = (not ok, overlap, on_text, not all(e.plan.fits for e in elements))
        if choice is None or key < choice[0]:
            choice = (key, name, part, elements, lg)
        if ok:
            break
    _, name, zone, elements, lg = choice
    if t.vertical:
        _verticalize(t, shaper, elements, safe, protect, size_basis(w, h))
    missing = sorted({c for e in elements for c in measure(shaper, e.text, t.locale_tag).missing})
    return TextLayout(name, zone, elements, scores, shaper, missing, t.zone, lg, tuple(protect))


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


def _draw_element(draw: ImageDraw.ImageDraw, layout: TextLayout, e: Element, dx: int, dy: int, fill) -> None:
    shaper = layout.shaper
    if e.vertical:
        draw_vertical(draw, shaper, e.plan, e.box.right - dx, e.box.y - dy, fill)
        return
    p: Plan = e.plan
    size = p.size
    if e.role == "badge":
        _draw_badge(draw, layout, e, dx, dy, fill)
        return
    for i, line in enumerate(p.lines):
        lw = line_width(shaper, line, size)
        x = e.box.x if e.align == "left" else e.box.right - lw if e.align == "right" else e.box.x + (e.box.w - lw) / 2
        a, d = metrics(shaper.primary, size)
        baseline = e.box.y + i * p.line_h + p.line_h * a / (a + d)
        draw_line(draw, shaper, line, x - dx, baseline - dy, size, fill)


def _draw_badge(draw: ImageDraw.ImageDraw, layout: TextLayout, e: Element, dx: int, dy: int, fill) -> None:
    """Rating in an outlined box, then the copy line; order mirrors for right-to-left locales."""
    shaper, p = layout.shaper, e.plan
    ltr = replace(shaper, rtl=False)  # a rating mark ("12+") reads left to right everywhere
    rating, kicker = e.extra.get("rating", ""), e.extra.get("kicker", "")
    pad = round(p.size * 0.3)
    stroke = max(1, round(p.size / 14))
    parts = [(k, v) for k, v in (("rating", rating), ("kicker", kicker)) if v]
    if shaper.rtl:
        parts.reverse()
    widths = [line_width(ltr, s, p.size) + 2 * pad if k == "rating" else line_width(shaper, s, p.size)
              for k, s in parts]
    gap = round(p.size * 0.6)
    total = sum(widths) + gap * (len(parts) - 1)
    x = e.box.x if e.align == "left" else e.box.right - total if e.align == "right" else e.box.x + (e.box.w - total) / 2
    top = e.box.y
    h = e.box.h
    baseline = top + h / 2 + p.size * 0.36
    for (kind, s), wdt in zip(parts, widths):
        if kind == "rating":
            draw.rounded_rectangle((x - dx, top - dy, x + wdt - dx, top + h - dy), radius=max(2, pad // 2),
                                   outline=fill, width=stroke)
            draw_line(draw, ltr, s, x + pad - dx, baseline - dy, p.size, fill)
        else:
            draw_line(draw, shaper, s, x - dx, baseline - dy, p.size, fill)
        x += wdt + gap


def _region(layout: TextLayout, w: int, h: int) -> tuple[Box, Box]:
    """The union of element boxes, and the canvas region a treatment may touch."""
    boxes = [e.box for e in layout.elements]
    union = boxes[0]
    for b in boxes[1:]:
        union = union.union(b)
    pad = max(8, union.h // 3)
    if layout.zone_name == "bottom":
        reg = Box(0, max(0, union.y - union.h - pad), w, h - max(0, union.y - union.h - pad))
    elif layout.zone_name == "top":
        reg = Box(0, 0, w, min(h, union.bottom + union.h + pad))
    elif layout.zone_name == "left":
        reg = Box(0, 0, min(w, union.right + union.w + pad), h)
    else:
        reg = Box(max(0, union.x - union.w - pad), 0, w - max(0, union.x - union.w - pad), h)
    return union, reg


def _scrim_groups(layout: TextLayout, reg: Box, canvas_w: int) -> list[tuple[str, Box, bool]]:
    """One scrim for the horizontal stack (from the zone's edge), one per vertical title column."""
    flat = [e.box for e in layout.elements if not e.vertical]
    groups: list[tuple[str, Box, bool]] = []
    if flat:
        u = flat[0]
        for b in flat[1:]:
            u = u.union(b)
        groups.append((layout.zone_name, u.shifted(-reg.x, -reg.y), False))
    for e in layout.elements:
        if e.vertical:
            edge = "right" if e.box.x + e.box.w / 2 > canvas_w / 2 else "left"
            groups.append((edge, e.box.shifted(-reg.x, -reg.y), True))
    return groups


def render_text(canvas: Image.Image, layout: TextLayout, t: TextInputs) -> dict:
    """Treat the art until every element is legible, draw, and measure: the report's text section.

    Glyph masks and measurements live in a window around the text; only the chosen treatment
    touches the wider region (the scrim's fade), pasted once with a mask.
    """
    w, h = canvas.size
    union, reg = _region(layout, w, h)
    sizes = [e.plan.size for e in layout.elements]
    pad = max(8, sizes[0] // 4)
    win = Box(max(reg.x, union.x - pad), max(reg.y, union.y - pad), 0, 0)
    win = Box(win.x, win.y, min(reg.right, union.right + pad) - win.x, min(reg.bottom, union.bottom + pad) - win.y)
    masks = []
    for e in layout.elements:
        m = Image.new("L", (win.w, win.h), 0)
        _draw_element(ImageDraw.Draw(m), layout, e, win.x, win.y, 255)
        masks.append(np.asarray(m))
    mask_all = np.maximum.reduce(masks)
    art_w = np.asarray(canvas.crop((win.x, win.y, win.right, win.bottom)), dtype=np.float32)
    layout.window, layout.art_window = win, art_w
    text_lum = float(legibility.luminance(np.array(t.text_color)))
    treat_color = t.scrim_color if text_lum > 0.4 else (250, 250, 250)
    targets = [max(t.contrast_target, legibility.wcag_threshold(s)) for s in sizes]
    groups = _scrim_groups(layout, reg, w)
    boxes_r = [e.box.shifted(-reg.x, -reg.y) for e in layout.elements]
    origin = (win.x - reg.x, win.y - reg.y)
    sels = [legibility.footprint(m, s) for m, s in zip(masks, sizes)]
    # measured on a grid of the footprint (legibility.sample_index), its pixels gathered once
    idx = [legibility.sample_index(sel, s) for sel, s in zip(sels, sizes)]
    art_px = [art_w.reshape(-1, 3)[i] for i in idx]
    chosen, contrasts, alpha_w = None, [], None
    ladder = legibility.LADDERS.get(t.treatment, legibility.LADDERS["scrim"])
    # Treatments never darken a face: the wide scrim fades out around it (keep), the plate and
    # shadow hugging the glyphs (already clear of faces) only stop at its clearance box (hard).
    keep = legibility.keep_off(layout.protect, reg)
    keep_w = keep[origin[1]:origin[1] + win.h, origin[0]:origin[0] + win.w] if keep is not None else None
    hard_w = (keep_w > 0).astype(np.float32) if keep_w is not None else None
    for step in ladder:
        if keep_w is None:
            alpha_w = legibility.treatment_alpha(step, (win.h, win.w), groups, boxes_r, mask_all,
                                                 sizes[0], full=(reg.h, reg.w), origin=origin)
        else:
            wide = legibility.treatment_alpha(replace(step, plate=0.0, shadow=0.0), (win.h, win.w), groups, boxes_r,
                                              mask_all, sizes[0], full=(reg.h, reg.w), origin=origin)
            local = legibility.treatment_alpha(replace(step, scrim=0.0), (win.h, win.w), groups, boxes_r,
                                               mask_all, sizes[0], full=(reg.h, reg.w), origin=origin)
            alpha_w = 1 - (1 - wide * keep_w) * (1 - local * hard_w)
        contrasts = [legibility.contrast_of(legibility.blend(px, alpha_w.reshape(-1)[i], treat_color), t.text_color)
                     for px, i in zip(art_px, idx)]
        chosen = step
        if all(c >= tg for c, tg in zip(contrasts, targets)):
            break
    if chosen.scrim or chosen.plate or chosen.shadow:
        alpha = np.zeros((reg.h, reg.w), np.float32)
        if chosen.scrim:
            alpha[:] = legibility.scrim_groups_alpha(reg.h, reg.w, groups, chosen.scrim)
            if keep is not None:
                alpha *= keep
        ox, oy = origin
        alpha[oy:oy + win.h, ox:ox + win.w] = alpha_w
        amask = Image.fromarray((alpha * 255 + 0.5).astype(np.uint8), "L")
        bb = amask.getbbox()  # only where the treatment shows: a zero alpha changes no pixel
        if bb:
            canvas.paste(treat_color, (reg.x + bb[0], reg.y + bb[1], reg.x + bb[2], reg.y + bb[3]), amask.crop(bb))
    canvas.paste(t.text_color, (win.x, win.y, win.right, win.bottom), Image.fromarray(mask_all, "L"))
    elements = []
    for e, c, tg in zip(layout.elements, contrasts, targets):
        p = e.plan
        item = {"role": e.role, "text": e.text, "box": e.box.as_list(), "size_px": p.size,
                "text_height_px": p.text_height, "fits": p.fits,
                "contrast": round(c, 2) if math.isfinite(c) else None,
                "contrast_required": legibility.wcag_threshold(p.size), "contrast_target": tg,
                "fonts": fonts_used(layout.shaper, e.text)}
        if e.vertical:
            item.update({"lines": list(p.columns), "vertical": True, "overflow_px": 0 if p.fits else None})
        else:
            item.update({"lines": list(p.lines), "overflow_px": p.overflow_px, "min_size_px": p.min_size})
        elements.append(item)
    finite = [c for c in contrasts if math.isfinite(c)]
    return {"treatment": chosen.name if chosen else "none",
            "treatment_levels": {"scrim": chosen.scrim, "shadow": chosen.shadow, "plate": chosen.plate} if chosen else {},
            "elements": elements,
            "min_contrast": round(min(finite), 2) if finite else None,
            "legible": all(c >= legibility.wcag_threshold(s) for c, s in zip(contrasts, sizes)),
            "min_text_height_px": min(e["text_height_px"] for e in elements)}
