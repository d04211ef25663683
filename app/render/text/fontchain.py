"""Fonts for a run: the kit's chain for its script, then Noto families through fontconfig.

Coverage is read from each font's cmap with fontTools (cached per process), so a character is
only ever sent to a font that has a glyph for it. What no font covers is reported, never drawn.
"""
from __future__ import annotations

import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from fontTools.ttLib import TTFont

from ..fonts import FontNotFound, FontRef, font_file
from .cmap_table import code_points

# Fallback families per script when the kit names nothing that covers a character.
NOTO_FALLBACK: dict[str, tuple[str, ...]] = {
    "Latn": ("Noto Sans:bold",), "Cyrl": ("Noto Sans:bold",), "Grek": ("Noto Sans:bold",),
    "Arab": ("Noto Sans Arabic:bold", "Noto Naskh Arabic:bold"), "Hebr": ("Noto Sans Hebrew:bold",),
    "Deva": ("Noto Sans Devanagari:bold",), "Thai": ("Noto Sans Thai:bold",),
    "Jpan": ("Noto Sans CJK JP:bold",), "Kore": ("Noto Sans CJK KR:bold",),
    "Hans": ("Noto Sans CJK SC:bold",), "Hant": ("Noto Sans CJK TC:bold",),
}
# Code points that need no glyph of their own (joiners, selectors, bidi controls).
IGNORABLE = {0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF} | set(range(0xFE00, 0xFE10))


@lru_cache(maxsize=64)
def cmap(ref: FontRef) -> frozenset[int]:
    """Code points the font maps to a glyph (cmap_table: read without glyph names)."""
    font = TTFont(ref.path, fontNumber=ref.index, lazy=True)
    try:
        return code_points(font)
    finally:
        font.close()


def covers(ref: FontRef, cluster: str) -> bool:
    cps = cmap(ref)
    return all(ord(c) in cps or ord(c) in IGNORABLE or unicodedata.category(c) == "Cf" for c in cluster)


@lru_cache(maxsize=2048)
def fontconfig_for(cp: int) -> FontRef | None:
    """Ask fontconfig for any installed font with this code point (bold preferred)."""
    out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}", f":bold:charset={cp:x}"],
                         capture_output=True, text=True, check=False).stdout.split("\n")
    if len(out) < 3 or not out[0]:
        return None
    ref = FontRef(out[0], int(out[1] or 0), out[2].split(",")[0].strip())
    try:
        return ref if cp in cmap(ref) else None
    except Exception:  # an unreadable font file is as good as none
        return None


@dataclass(frozen=True)
class Chain:
    """Resolved fonts, in order, for one script: kit's first, then Noto fallbacks."""
    script: str
    refs: tuple[FontRef, ...]

    def font_for(self, cluster: str) -> FontRef | None:
        for ref in self.refs:
            if covers(ref, cluster):
                return ref
        base = next((c for c in cluster if ord(c) not in IGNORABLE), None)
        if base is None:
            return self.refs[0] if self.refs else None
        ref = fontconfig_for(ord(base))
        return ref if ref is not None and covers(ref, cluster) else None


@lru_cache(maxsize=256)
def _chain(script: str, kit_patterns: tuple[str, ...]) -> Chain:
    refs: list[FontRef] = []
    for pattern in (*kit_patterns, *NOTO_FALLBACK.get(script, ()), *NOTO_FALLBACK["Latn"]):
        try:
            ref = font_file(pattern)
        except FontNotFound:
            continue
        if ref not in refs:
            refs.append(ref)
    return Chain(script, tuple(refs))


def chain_for(script: str, kit_fonts: dict[str, list[str]]) -> Chain:
    return _chain(script, tuple(kit_fonts.get(script, ())))
