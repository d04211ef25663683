"""A labelled grid of rendered variants (rows: locales, columns: formats) for people to look at."""
from __future__ import annotations

from PIL import Image, ImageDraw

from .fonts import first_available, load_font

CELL_H = 220
PAD = 12
LABEL_W = 130
HEADER_H = 44


def contact_sheet(cells: dict[tuple[str, str], Image.Image], locales: list[str], formats: list[str],
                  title: str = "") -> Image.Image:
    """cells maps (locale, format) to an image; missing cells are drawn as empty boxes."""
    widths = {}
    for f in formats:
        sample = next((cells[(l, f)] for l in locales if (l, f) in cells), None)
        ratio = sample.width / sample.height if sample else 1.0
        widths[f] = round(CELL_H * ratio)
    sheet_w = LABEL_W + sum(widths.values()) + PAD * (len(formats) + 1)
    sheet_h = HEADER_H * (2 if title else 1) + (CELL_H + PAD) * len(locales) + PAD
    sheet = Image.new("RGB", (sheet_w, sheet_h), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    font = load_font(first_available(["Noto Sans:bold"]), 20)
    y0 = 0
    if title:
        draw.text((PAD, 8), title, font=load_font(first_available(["Noto Sans:bold"]), 26), fill=(255, 255, 255))
        y0 = HEADER_H
    x = LABEL_W + PAD
    for f in formats:
        draw.text((x, y0 + 10), f, font=font, fill=(200, 200, 210))
        x += widths[f] + PAD
    y = y0 + HEADER_H
    for l in locales:
        draw.text((PAD, y + CELL_H // 2 - 12), l, font=font, fill=(200, 200, 210))
        x = LABEL_W + PAD
        for f in formats:
            img = cells.get((l, f))
            if img is None:
                draw.rectangle((x, y, x + widths[f], y + CELL_H), outline=(90, 90, 90))
            else:
                thumb = img.convert("RGB").resize((widths[f], CELL_H), Image.Resampling.LANCZOS)
                sheet.paste(thumb, (x, y))
            x += widths[f] + PAD
        y += CELL_H + PAD
    return sheet
