"""Draw a laid-out element's glyphs: lines of a horizontal block, a vertical column block, or the
rating badge with its copy line. Used for glyph masks (coverage), never to measure."""
from __future__ import annotations

from dataclasses import replace

from PIL import ImageDraw

from .fit import Plan
from .model import Element, TextLayout
from .shaping import draw_line, line_width, metrics
from .vertical import draw_vertical


def draw_element(draw: ImageDraw.ImageDraw, layout: TextLayout, e: Element, dx: int, dy: int, fill) -> None:
    """Draw element `e` with the canvas origin shifted by (-dx, -dy) (a window's corner)."""
    shaper = layout.shaper
    if e.vertical:
        draw_vertical(draw, shaper, e.plan, e.box.right - dx, e.box.y - dy, fill)
        return
    p: Plan = e.plan
    size = p.size
    if e.role == "badge":
        draw_badge(draw, layout, e, dx, dy, fill)
        return
    for i, line in enumerate(p.lines):
        lw = line_width(shaper, line, size)
        x = e.box.x if e.align == "left" else e.box.right - lw if e.align == "right" else e.box.x + (e.box.w - lw) / 2
        a, d = metrics(shaper.primary, size)
        baseline = e.box.y + i * p.line_h + p.line_h * a / (a + d)
        draw_line(draw, shaper, line, x - dx, baseline - dy, size, fill)


def draw_badge(draw: ImageDraw.ImageDraw, layout: TextLayout, e: Element, dx: int, dy: int, fill) -> None:
    """Rating in an outlined box, then the copy line: beside it (order mirrored for right-to-left
    locales) or, in a narrow column, under it (layout._fit_badge: one row per line)."""
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
    rows = [list(zip(parts, widths))]
    if e.extra.get("rows", 1) > 1:   # the rating's box, then the copy line's lines (layout._fit_badge)
        rows = [[pw for pw in rows[0] if pw[0][0] == "rating"]]
        rows += [[(("kicker", ln), line_width(shaper, ln, p.size))] for ln in p.lines]
    row_h = e.box.h / len(rows)
    for r, row in enumerate(rows):
        total = sum(wdt for _, wdt in row) + gap * (len(row) - 1)
        x = (e.box.x if e.align == "left" else e.box.right - total if e.align == "right"
             else e.box.x + (e.box.w - total) / 2)
        top = e.box.y + r * row_h
        baseline = top + row_h / 2 + p.size * 0.36
        for (kind, s), wdt in row:
            if kind == "rating":
                draw.rounded_rectangle((x - dx, top - dy, x + wdt - dx, top + row_h - dy), radius=max(2, pad // 2),
                                       outline=fill, width=stroke)
                draw_line(draw, ltr, s, x + pad - dx, baseline - dy, p.size, fill)
            else:
                draw_line(draw, shaper, s, x - dx, baseline - dy, p.size, fill)
            x += wdt + gap
