"""Line-break opportunities from ICU for the locale.

Thai gets ICU's dictionary breaks between words written without spaces; Japanese and Chinese
use ICU's strict rules (no line starting with a closing bracket, small kana or an ideographic
full stop). ICU never breaks inside a grapheme cluster.
"""
from __future__ import annotations

from functools import lru_cache

import icu

from .scripts import split_at_breaks

STRICT_LANGUAGES = ("ja", "zh")


@lru_cache(maxsize=4096)
def break_opportunities(text: str, locale_tag: str) -> tuple[str, ...]:
    """The pieces a line may end after; joined they give back the text."""
    name = locale_tag.replace("-", "_")
    if name.split("_")[0] in STRICT_LANGUAGES:
        name += "@lb=strict"
    return split_at_breaks(icu.BreakIterator.createLineInstance(icu.Locale(name)), text)


def break_positions(text: str, locale_tag: str) -> list[int]:
    """Offsets (Python indices) where a line may break."""
    out, pos = [], 0
    for p in break_opportunities(text, locale_tag):
        pos += len(p)
        out.append(pos)
    return out
