"""Baked-in text: a title printed in the key art is never shown through a localized variant.

The art is the sample photograph with an English title printed on it; the same photograph
without the print is the reference. In 8 formats x 4 locales, Tesseract must not read the old
title anywhere, and where the print lay the output must not follow its strokes (a plate or
removal, not a scrim that lets them show). Lettering of one colour is painted out of the art
(baked_text.remove_lettering), not hidden under a plate; a box that holds no such lettering
keeps the plate."""
from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
import pytesseract
import pytest
from PIL import Image, ImageDraw

from app.render.analyze import analyze
from app.render.fonts import font_file, load_font
from app.render.formats import FORMATS
from app.render.pipeline import render_variant
from app.sample import astronaut
from subject_set import titled_at
from text_helpers import spec_for

PRINTED = "STARFALL NIGHTS"
LOCALES = ["en-US", "ar-SA", "ja-JP", "de-DE"]


@lru_cache(maxsize=1)
def art() -> tuple[Image.Image, Image.Image, np.ndarray]:
    """(art with the printed title, the same art without it, the print's stroke mask)."""
    clean = astronaut().convert("RGB").resize((1200, 1200), Image.Resampling.LANCZOS)
    mask = Image.new("L", clean.size, 0)
    font = load_font(font_file("Noto Sans:bold"), 84)
    ImageDraw.Draw(mask).text((600, 95), PRINTED, font=font, fill=255, anchor="mt")
    printed = clean.copy()
    printed.paste((250, 200, 40), (0, 0), mask)
    return printed, clean, np.asarray(mask) > 127


def _words(text: str) -> list[str]:
    return [w for w in "".join(c if c.isalnum() else " " for c in text.upper()).split() if len(w) >= 4]


def _reads_printed_title(img: Image.Image) -> list[str]:
    grey = img.convert("L")
    found = []
    for psm in (11, 6):
        text = pytesseract.image_to_string(grey, lang="eng", config=f"--psm {psm}")
        for w in _words(text):
            if any(SequenceMatcher(None, w, p).ratio() >= 0.75 for p in PRINTED.split()):
                found.append(w)
    return found


def _stroke_mask_on_canvas(report: dict, mask: np.ndarray) -> np.ndarray:
    """The print's strokes mapped onto the output canvas with the reframe the report describes."""
    import cv2

    w, h = report["size"]
    cx, cy, cw, ch = report["reframe"]["crop"]
    px, py, pw, ph = report["reframe"]["placement"] or [0, 0, w, h]
    window = mask[cy:cy + ch, cx:cx + cw].astype(np.uint8) * 255
    placed = cv2.resize(window, (pw, ph), interpolation=cv2.INTER_AREA)
    out = np.zeros((h, w), np.uint8)
    x0, y0 = max(0, px), max(0, py)
    x1, y1 = min(w, px + pw), min(h, py + ph)
    out[y0:y1, x0:x1] = placed[y0 - py:y1 - py, x0 - px:x1 - px]
    return out > 127


def test_the_printed_title_is_detected():
    printed, _, mask = art()
    boxes = analyze(printed).text_boxes
    ys, xs = np.nonzero(mask)
    assert any(b.x <= xs.min() + 10 and b.right >= xs.max() - 10 and b.y <= ys.min() + 5 and b.bottom >= ys.max() - 5
               for b in boxes), boxes


@pytest.mark.parametrize("tag", LOCALES)
def test_printed_title_never_shows_through(tag):
    import cv2

    printed, clean, mask = art()
    analysis = analyze(printed)
    for fmt in FORMATS:
        result = render_variant(printed, analysis, spec_for(tag, fmt))
        report = result.report
        assert "baked_text_visible" not in report["flags"], (fmt, report["baked_text"])
        assert not _reads_printed_title(result.image), (fmt, tag)
        strokes = _stroke_mask_on_canvas(report, mask)
        if strokes.sum() < 50:
            continue  # this crop does not show the print
        assert "baked_text_covered" in report["flags"], fmt
        assert report["baked_text"]["plated"] == [], fmt  # painted out of the art, no plate over it
        out = np.asarray(result.image.convert("L"), np.float32)
        ring = (cv2.dilate(strokes.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0) & ~strokes
        # The strokes were bright yellow on a grey backdrop: no trace may remain.
        assert abs(out[strokes].mean() - out[ring].mean()) < 6, (fmt, out[strokes].mean(), out[ring].mean())


def test_a_textless_source_needs_no_plate():
    _, clean, _ = art()
    analysis = analyze(clean)
    for fmt in ("poster", "square"):
        report = render_variant(clean, analysis, spec_for("en-US", fmt)).report
        assert not {"baked_text_covered", "baked_text_visible"} & set(report["flags"])


def _width_covered(label: tuple[float, float, float, float], boxes) -> float:
    """Share of the title's width (x0..x1 of `label`) that detected boxes on its row cover."""
    x0, y0, x1, y1 = (round(v) for v in label)
    covered = np.zeros(x1 - x0, bool)
    for b in boxes:
        if b.y < y1 and b.bottom > y0:
            covered[max(0, b.x - x0):max(0, min(x1, b.right) - x0)] = True
    return float(covered.mean())


@pytest.mark.parametrize("base_name,title,where", [("astronaut", "SPACE WALK", "bottom"),
                                                  ("flower", "Spring Bloom", "top"),
                                                  ("coffee", "MORNING BREW", "top"),
                                                  ("hopper", "THE ADMIRAL", "bottom")])
def test_a_title_is_found_whole_at_key_art_sizes(base_name, title, where):
    """A title printed across key art is found from its first letter to its last at the sizes
    real key art comes in, so the plate covers all of it. Before, words or letters that did not
    pass the stroke checks on a busy ground (or did not stand out from a white suit) were left
    out: 57-75 % of the width was covered at some of these sizes, half a title showed through."""
    for width in (1536, 2400, 4000):
        image, label = titled_at(base_name, title, where, width)
        found = analyze(image, ("text",)).text_boxes
        assert _width_covered(label, found) >= 0.95, (width, [b.as_list() for b in found], label)


def test_lettering_is_painted_out_and_texture_keeps_its_plate():
    from app.render.baked_text import remove_lettering, stroke_mask
    from app.render.geometry import Box

    printed, clean, mask = art()
    canvas = printed.copy()
    ys, xs = np.nonzero(mask)
    box = Box(int(xs.min()) - 12, int(ys.min()) - 12, int(xs.max() - xs.min()) + 24, int(ys.max() - ys.min()) + 24)
    assert remove_lettering(canvas, [box]) == []
    out, ref = np.asarray(canvas, np.float32), np.asarray(clean, np.float32)
    # where the yellow print was, the art is back within a few grey levels of the clean photograph
    assert np.abs(out[mask] - ref[mask]).mean() < 25, np.abs(out[mask] - ref[mask]).mean()
    assert np.abs(np.asarray(printed, np.float32)[mask] - ref[mask]).mean() > 60  # (the print itself)
    noise = np.random.default_rng(3).integers(0, 256, (60, 300, 3), dtype=np.uint8)
    assert stroke_mask(noise) is None  # no one colour stands apart: the caller plates it


def test_a_generator_is_given_the_art_without_its_lettering():
    """An expand's generator (the GPU job's, or the classical one) continues the art it is given:
    the lettering is painted out of the key art before the window is placed, so no generator
    is asked to continue a title into the new canvas."""
    from app.render.extension import classical_expander
    from app.render.geometry import Box
    from app.render.reframe import placed_window

    printed, clean, mask = art()
    seen = []
    classical = classical_expander("blur_backdrop")

    def expander(image, size, placement):
        seen.append(image.copy())
        return classical(image, size, placement)

    report = render_variant(printed, analyze(printed), spec_for("en-US", "banner"), encodings=(),
                            expander=expander).report
    assert report["reframe"]["mode"] == "expand" and seen
    window, placement = Box.from_list(report["reframe"]["crop"]), Box.from_list(report["reframe"]["placement"])
    strokes = np.asarray(placed_window(Image.fromarray(mask.astype(np.uint8) * 255), window, placement)) > 127
    given = np.asarray(seen[0].convert("RGB"), np.float32)[strokes]
    assert np.abs(given - np.asarray(placed_window(clean, window, placement), np.float32)[strokes]).mean() < 25
    assert np.abs(given - np.asarray(placed_window(printed, window, placement), np.float32)[strokes]).mean() > 60
