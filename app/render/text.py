"""Title layout: break lines with ICU, fit the largest size into a zone, draw with raqm.

Fonts come from the kit's chain for the locale's script (fontconfig); shaping and bidi are
libraqm's, with direction and language passed explicitly.
"""
from __future__ import annotations

from dataclasses import dataclass

import icu
from PIL import Image, ImageDraw, ImageFont

from .fonts import FontRef, first_available, load_font
from .geometry import Box
from .kit import KitSpec
from .locales import LocaleInfo


@dataclass(frozen=True)
class TextBlock:
    lines: tuple[str, ...]
    font: FontRef
    size: int            # font size in px
    box: Box             # where the block is drawn on the canvas
    line_height: int
    cap_height: int      # rendered height of the tallest glyph row, in px
    align: str           # "left" | "center" | "right"
    fits: bool


def break_opportunities(text: str, locale_tag: str) -> list[str]:
    """Split text into the pieces ICU allows a line to end after (never inside a grapheme)."""
    bi = icu.BreakIterator.createLineInstance(icu.Locale(locale_tag.replace("-", "_")))
    bi.setText(text)
    pieces, start = [], 0
    for end in bi:
        pieces.append(text[start:end])
        start = end
    return [p for p in pieces if p]


def _measure(font: ImageFont.FreeTypeFont, text: str, direction: str, lang: str) -> int:
    return int(font.getlength(text.strip(), direction=direction, language=lang))


def wrap(pieces: list[str], font: ImageFont.FreeTypeFont, max_width: int,
         direction: str, lang: str) -> list[str]:
    """Greedy fill of ICU pieces into lines no wider than max_width."""
    lines: list[str] = []
    current = ""
    for piece in pieces:
        candidate = current + piece
        if current and _measure(font, candidate, direction, lang) > max_width:
            lines.append(current.strip())
            current = piece
        else:
            current = candidate
    if current.strip():
        lines.append(current.strip())
    return lines


def fit_title(text: str, locale: LocaleInfo, kit: KitSpec, zone: Box, canvas_h: int,
              min_text_px: int) -> TextBlock:
    """The largest size at which the title fits `zone` in at most the kit's line count."""
    ref = first_available(kit.fonts.get(locale.script) or kit.fonts["Latn"])
    direction = "rtl" if locale.rtl else "ltr"
    lang = locale.language
    pieces = break_opportunities(text, locale.tag)
    lo = max(min_text_px, round(kit.title_size[0] * canvas_h))
    hi = max(lo, round(kit.title_size[1] * canvas_h))
    best: TextBlock | None = None
    while lo <= hi:
        size = (lo + hi) // 2
        block = _block_at(text, pieces, ref, size, zone, kit, direction, lang)
        if block.fits:
            best, lo = block, size + 1
        else:
            hi = size - 1
    if best is None:
        best = _block_at(text, pieces, ref, max(min_text_px, round(kit.title_size[0] * canvas_h)),
                         zone, kit, direction, lang)
    return best


def _block_at(text: str, pieces: list[str], ref: FontRef, size: int, zone: Box, kit: KitSpec,
              direction: str, lang: str) -> TextBlock:
    font = load_font(ref, size)
    lines = wrap(pieces, font, zone.w, direction, lang) or [text]
    ascent, descent = font.getmetrics()
    line_h = round((ascent + descent) * 1.08)
    widths = [_measure(font, ln, direction, lang) for ln in lines]
    height = line_h * len(lines)
    fits = len(lines) <= kit.title_max_lines and max(widths) <= zone.w and height <= zone.h
    bbox = font.getbbox("H" if lang not in ("ja", "zh", "ko") else "国", direction=direction, language=lang)
    return TextBlock(tuple(lines), ref, size, Box(zone.x, zone.bottom - height, zone.w, height),
                     line_h, bbox[3] - bbox[1], "center", fits)


def draw_block(canvas: Image.Image, block: TextBlock, color: tuple[int, int, int],
               locale: LocaleInfo, align: str = "center") -> None:
    """Draw the block's lines, each centred (or aligned) inside its box, with a soft shadow."""
    draw = ImageDraw.Draw(canvas)
    font = load_font(block.font, block.size)
    direction = "rtl" if locale.rtl else "ltr"
    for i, line in enumerate(block.lines):
        width = _measure(font, line, direction, locale.language)
        if align == "left":
            x = block.box.x
        elif align == "right":
            x = block.box.right - width
        else:
            x = block.box.x + (block.box.w - width) // 2
        y = block.box.y + i * block.line_height
        shadow = max(1, block.size // 28)
        draw.text((x + shadow, y + shadow), line, font=font, fill=(0, 0, 0),
                  direction=direction, language=locale.language)
        draw.text((x, y), line, font=font, fill=color, direction=direction, language=locale.language)
