"""Shaping and bidi: a line becomes visual-order pieces (one font, one direction each) for raqm.

ICU's Bidi orders the line as a native reader expects (an Arabic title with "4K" keeps the
Latin run left-to-right inside a right-to-left line); each piece is then shaped by libraqm
(HarfBuzz) through Pillow with its own direction and language, and is a single script run,
so raqm's script itemization sees exactly one script per call.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import icu
from PIL import ImageDraw, ImageFont

from ..fonts import FontRef, load_font
from .fontchain import chain_for
from .scripts import graphemes, split_runs, utf16_to_py

#: Faces kept open at once. Pillow opens a face per (file, size) and each maps its font file on
#: its own: a CJK collection's face holds ~2 MB of its pages, and a 19 x 8 matrix asks for 100+
#: sizes (209 MB through an unbounded cache), while opening one again costs under 1 ms.
OPEN_FACES = 32

# Language tag given to HarfBuzz for runs not in the locale's own script.
SCRIPT_LANG = {"Latn": "en", "Cyrl": "ru", "Grek": "el", "Arab": "ar", "Hebr": "he", "Deva": "hi",
               "Thai": "th", "Jpan": "ja", "Kore": "ko", "Hans": "zh-Hans", "Hant": "zh-Hant"}
# A glyph whose ink height stands for "text height" in each script (cap height for Latin).
REFERENCE_GLYPH = {"Latn": "H", "Cyrl": "Н", "Grek": "Η", "Arab": "ا", "Hebr": "ה", "Deva": "क",
                   "Thai": "ก", "Jpan": "国", "Kore": "한", "Hans": "国", "Hant": "國"}


@dataclass(frozen=True)
class Segment:
    text: str
    font: FontRef
    script: str


@dataclass(frozen=True)
class Piece:
    text: str
    font: FontRef
    script: str
    direction: str   # "ltr" | "rtl"


@dataclass(frozen=True)
class Shaper:
    """What shaping needs from the locale and the kit (hashable, so results cache)."""
    locale_script: str
    language: str
    rtl: bool
    fonts: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def create(cls, locale_script: str, language: str, rtl: bool, kit_fonts: dict[str, list[str]]) -> "Shaper":
        # HarfBuzz picks Traditional vs Simplified Chinese forms (locl) from the language tag.
        language = {"Hant": "zh-Hant", "Hans": "zh-Hans"}.get(locale_script, language) if language == "zh" else language
        return cls(locale_script, language, rtl, tuple(sorted((k, tuple(v)) for k, v in kit_fonts.items())))

    def lang_for(self, script: str) -> str:
        return self.language if script == self.locale_script else SCRIPT_LANG.get(script, "en")

    @property
    def primary(self) -> FontRef:
        return chain_for(self.locale_script, dict(self.fonts)).refs[0]


@lru_cache(maxsize=8192)
def segments(shaper: Shaper, text: str) -> tuple[tuple[Segment, ...], tuple[str, ...]]:
    """Font segments in logical order, and the clusters no installed font can draw."""
    kit_fonts = dict(shaper.fonts)
    out: list[list] = []
    missing: list[str] = []
    for run in split_runs(text, shaper.locale_script):
        chain = chain_for(run.script, kit_fonts)
        for cl in graphemes(run.text):
            if cl.isspace() and out:
                out[-1][0] += cl
                continue
            ref = chain.font_for(cl)
            if ref is None:
                missing.append(cl)
                continue
            if out and out[-1][1] == ref and out[-1][2] == run.script:
                out[-1][0] += cl
            else:
                out.append([cl, ref, run.script])
    return tuple(Segment(t, f, s) for t, f, s in out), tuple(missing)


def drawable(shaper: Shaper, text: str) -> str:
    """The text without clusters that have no glyph anywhere (those are reported instead)."""
    return "".join(s.text for s in segments(shaper, text)[0])


@lru_cache(maxsize=8192)
def visual_pieces(shaper: Shaper, line: str) -> tuple[Piece, ...]:
    """The line's segments cut at bidi run boundaries, in left-to-right visual order."""
    segs, _ = segments(shaper, line)
    text = "".join(s.text for s in segs)
    if not text:
        return ()
    bidi = icu.Bidi()
    bidi.setPara(icu.UnicodeString(text), 1 if shaper.rtl else 0)
    bounds, pos = [], 0
    for s in segs:
        bounds.append((pos, pos + len(s.text), s))
        pos += len(s.text)
    pieces: list[Piece] = []
    for i in range(bidi.countRuns()):
        start16, length16, direction = bidi.getVisualRun(i)
        start = utf16_to_py(text, start16)
        end = utf16_to_py(text, start16 + length16)
        parts = [Piece(text[max(a, start):min(b, end)], s.font, s.script, "rtl" if direction else "ltr")
                 for a, b, s in bounds if a < end and b > start]
        pieces.extend(reversed(parts) if direction else parts)
    return tuple(p for p in pieces if p.text)


@lru_cache(maxsize=OPEN_FACES)
def face(ref: FontRef, size: int) -> ImageFont.FreeTypeFont:
    """The font at a size (raqm layout), from a bounded cache (OPEN_FACES)."""
    return load_font.__wrapped__(ref, size)


@lru_cache(maxsize=65536)
def piece_width(piece: Piece, size: int, language: str) -> float:
    return face(piece.font, size).getlength(piece.text, direction=piece.direction, language=language)


def line_width(shaper: Shaper, line: str, size: int) -> float:
    """Advance width of a shaped line at a font size, in px."""
    return sum(piece_width(p, size, shaper.lang_for(p.script)) for p in visual_pieces(shaper, line))


@lru_cache(maxsize=1024)
def metrics(ref: FontRef, size: int) -> tuple[int, int]:
    return face(ref, size).getmetrics()


@lru_cache(maxsize=1024)
def reference_height(ref: FontRef, script: str, size: int) -> int:
    """Ink height in px of the script's reference glyph: the report's "text height"."""
    glyph = REFERENCE_GLYPH.get(script, "H")
    box = face(ref, size).getbbox(glyph, language=SCRIPT_LANG.get(script))
    return box[3] - box[1]


def draw_line(draw: ImageDraw.ImageDraw, shaper: Shaper, line: str, x: float, baseline: float,
              size: int, fill) -> None:
    """Draw a line's pieces left to right on one baseline (mixed fonts share it)."""
    for p in visual_pieces(shaper, line):
        lang = shaper.lang_for(p.script)
        draw.text((x, baseline), p.text, font=face(p.font, size), fill=fill, anchor="ls",
                  direction=p.direction, language=lang)
        x += piece_width(p, size, lang)


def fonts_used(shaper: Shaper, text: str) -> list[dict]:
    """The report's font-per-run list."""
    return [{"text": s.text, "script": s.script, "font": s.font.family, "file": s.font.path}
            for s in segments(shaper, text)[0]]


def basic_font(ref: FontRef, size: int) -> ImageFont.FreeTypeFont:
    """The same face without shaping (Pillow's basic layout), for tests that prove shaping matters."""
    return ImageFont.truetype(ref.path, size, index=ref.index, layout_engine=ImageFont.Layout.BASIC)
