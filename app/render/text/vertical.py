"""Vertical Japanese (tategaki): columns top to bottom, read right to left, for the poster.

Uses raqm's top-to-bottom direction with the OpenType `vert` feature, so the ideographic full
stop, long-vowel mark and brackets take their vertical forms. Columns break where ICU allows.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageDraw

from .fit import REF
from .linebreak import break_opportunities, phrase_opportunities
from .shaping import Shaper, drawable, face, reference_height

FEATURES = ["vert"]
COLUMN_GAP = 1.15  # column pitch as a multiple of the font size


@dataclass(frozen=True)
class VerticalPlan:
    size: int
    columns: tuple[str, ...]
    width: int
    height: int
    text_height: int
    fits: bool


def column_length(shaper: Shaper, text: str, size: int) -> float:
    return face(shaper.primary, size).getlength(text, direction="ttb", features=FEATURES,
                                                      language=shaper.language)


def plan_vertical(shaper: Shaper, text: str, locale_tag: str, box_w: int, box_h: int,
                  lo: int, hi: int, max_cols: int) -> VerticalPlan:
    """Largest size whose columns fit box_h tall and box_w wide, columns ending between phrases
    where they can (linebreak.phrase_opportunities), else at any break ICU allows."""
    clean = drawable(shaper, text).strip()
    phrases = phrase_opportunities(clean, locale_tag)
    for pieces in (phrases, break_opportunities(clean, locale_tag)):
        best = _columns(shaper, pieces, box_w, box_h, lo, hi, max_cols) if pieces else None
        if best is not None:
            break
    if best is None:
        return VerticalPlan(lo, (clean,), round(lo * COLUMN_GAP), box_h, 0, False)
    size, cols, width = best
    height = round(max(column_length(shaper, c, size) for c in cols))
    ink = reference_height(shaper.primary, shaper.locale_script, REF) / REF
    return VerticalPlan(size, cols, width, height, round(ink * size), True)


def _columns(shaper: Shaper, pieces: tuple[str, ...], box_w: int, box_h: int, lo: int, hi: int,
             max_cols: int) -> tuple[int, tuple[str, ...], int] | None:
    """(size, columns, width) at the largest size (in steps) where the pieces fill columns that fit."""
    for size in range(hi, lo - 1, -max(1, (hi - lo) // 40 or 1)):
        cols, cur = [], ""
        for p in pieces:
            if cur and column_length(shaper, cur + p, size) > box_h:
                cols.append(cur)
                cur = p
            else:
                cur += p
        cols.append(cur)
        width = round(len(cols) * size * COLUMN_GAP)
        if len(cols) <= max_cols and width <= box_w and all(column_length(shaper, c, size) <= box_h for c in cols):
            return size, tuple(c.strip() for c in cols), width
    return None


def draw_vertical(draw: ImageDraw.ImageDraw, shaper: Shaper, plan: VerticalPlan, right: int, top: int, fill) -> None:
    """Columns from the right edge leftwards, each hung from `top`."""
    font = face(shaper.primary, plan.size)
    pitch = plan.size * COLUMN_GAP
    for i, col in enumerate(plan.columns):
        cx = right - pitch * i - pitch / 2
        draw.text((cx, top), col, font=font, fill=fill, anchor="mt", direction="ttb", features=FEATURES,
                  language=shaper.language)
