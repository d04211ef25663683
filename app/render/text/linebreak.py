"""Line-break opportunities from ICU for the locale, and the phrase-level subset titles prefer.

Thai gets ICU's dictionary breaks between words written without spaces; Japanese and Chinese
use ICU's strict rules (no line starting with a closing bracket, small kana or an ideographic
full stop). ICU never breaks inside a grapheme cluster.

ICU may break Japanese and Chinese between any two characters and Korean between any two
syllables, which is correct but not what a reader expects of a title: 軌道の彼方へ broken as
軌道 / の彼 / 方へ splits 彼方 ("beyond") in two. `phrase_opportunities` keeps only the ICU
breaks that fall between phrases: BudouX's phrase models for Japanese and Chinese (軌道の /
彼方へ), the spaces for Korean (CSS word-break: keep-all), and in Russian and Polish not after
a short preposition ("За / пределами орбиты" is a typesetting error there), and in every
language not between a number and its unit ("400 / km"). The fitter tries those first and
falls back to every ICU break only when the phrases cannot fit.
"""
from __future__ import annotations

from functools import lru_cache

import budoux
import icu

from .scripts import split_at_breaks

STRICT_LANGUAGES = ("ja", "zh")
#: BudouX's model per locale (Traditional Chinese for Taiwan and Hong Kong).
BUDOUX_MODELS = {"ja": "ja", "zh": "zh-hans", "zh-TW": "zh-hant", "zh-HK": "zh-hant", "zh-Hant": "zh-hant"}
#: Written with spaces between words, broken by ICU between syllables: titles break at the spaces.
KEEP_ALL_LANGUAGES = ("ko",)
#: A word this short (letters) never ends a line: Russian typesetting keeps short prepositions
#: and conjunctions ("в", "и", "за", "на") with the word they belong to, Polish one-letter ones
#: ("w", "z", "i").
GLUED_SHORT_WORDS = {"ru": 2, "pl": 1}
DASHES = ("—", "–")
#: A number stays with a word this short after it, its unit ("400 km", "90 min", "٤٠٠ كم").
UNIT_LETTERS = 3


@lru_cache(maxsize=4096)
def break_opportunities(text: str, locale_tag: str) -> tuple[str, ...]:
    """The pieces a line may end after; joined they give back the text."""
    name = locale_tag.replace("-", "_")
    if name.split("_")[0] in STRICT_LANGUAGES:
        name += "@lb=strict"
    return split_at_breaks(icu.BreakIterator.createLineInstance(icu.Locale(name)), text)


@lru_cache(maxsize=None)
def _budoux(model: str) -> budoux.Parser:
    """BudouX's parser for a model (its weights ship in the package; loaded on first use)."""
    load = {"ja": budoux.load_default_japanese_parser, "zh-hans": budoux.load_default_simplified_chinese_parser,
            "zh-hant": budoux.load_default_traditional_chinese_parser}[model]
    return load()


def _budoux_model(locale_tag: str) -> str | None:
    parts = locale_tag.split("-")
    for key in ("-".join(parts[:2]), parts[0]):
        if key in BUDOUX_MODELS:
            return BUDOUX_MODELS[key]
    return None


def phrase_ends(text: str, locale_tag: str) -> frozenset[int]:
    """Offsets where a phrase of the text ends (the text's end included): BudouX's phrases, the
    spaces of Korean, elsewhere ICU's breaks less those after a glued word (_glued)."""
    model = _budoux_model(locale_tag)
    if model is not None:
        ends, pos = set(), 0
        for phrase in _budoux(model).parse(text):
            pos += len(phrase)
            ends.add(pos)
        return frozenset(ends | {len(text)})
    language = locale_tag.split("-")[0]
    if language in KEEP_ALL_LANGUAGES:
        return frozenset({i for i in range(1, len(text)) if text[i - 1].isspace() and not text[i].isspace()}
                         | {len(text)})
    pieces = break_opportunities(text, locale_tag)
    ends, pos = {len(text)}, 0
    words = [p.strip() for p in pieces]
    for i, piece in enumerate(pieces):
        pos += len(piece)
        before, after = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
        if not _glued(before, words[i], after, GLUED_SHORT_WORDS.get(language, 0)):
            ends.add(pos)
    return frozenset(ends)


def _is_number(word: str) -> bool:
    return word.replace(",", "").replace(".", "").isdigit()


def _glued(before: str, word: str, after: str, short: int) -> bool:
    """Whether a line must not end after `word`: before a dash (a line does not start with one),
    a short preposition of a language that keeps it with its word (not a unit after a number:
    "400 км"), or a number before its unit ("400 / km" reads as two things)."""
    if after in DASHES or (word.isalpha() and len(word) <= short and not _is_number(before)):
        return True
    unit = after.rstrip(".,;:!?")
    return _is_number(word) and unit.isalpha() and len(unit) <= UNIT_LETTERS


@lru_cache(maxsize=4096)
def phrase_opportunities(text: str, locale_tag: str) -> tuple[str, ...] | None:
    """The ICU pieces joined so that a line ends only between phrases (every such break is one
    ICU allows, so its rules still hold); None where that is no coarser than ICU's own breaks."""
    pieces = break_opportunities(text, locale_tag)
    ends = phrase_ends(text, locale_tag)
    out, cur, pos = [], "", 0
    for p in pieces:
        cur += p
        pos += len(p)
        if pos in ends or len(text[:pos].rstrip()) in ends:  # BudouX may keep a space on either side
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    coarse = tuple(out)
    return None if coarse == pieces else coarse


def break_positions(text: str, locale_tag: str) -> list[int]:
    """Offsets (Python indices) where a line may break."""
    out, pos = [], 0
    for p in break_opportunities(text, locale_tag):
        pos += len(p)
        out.append(pos)
    return out
