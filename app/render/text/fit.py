"""Fit: the largest font size at which a text fits a box in at most N balanced lines.

Advance widths scale linearly with size, so each ICU piece is measured once at a reference
size; the best split into n lines (the one with the narrowest widest line, which also keeps a
lone word off the last line) does not depend on size, so the size for n lines has a closed
form. Another line must make the text larger by EXTRA_LINE_GAIN, or by more when it leaves a
line much narrower than the rest (RAGGED: "Beyond / the / Orbit" in a narrow column, where
"Beyond / the Orbit" reads as a title). Pieces are phrases where the language has them
(linebreak.phrase_opportunities), every ICU break when those cannot fit. The chosen size is
then checked with real shaping at that size and stepped down if hinting made it wider.
Preflight uses the same plan without drawing anything.

The search is bounded so that any text gives an answer in well under a second: at most
MAX_PIECES break opportunities (beyond that, neighbouring pieces are joined: fewer places to
break, same text) and, at the floor size, at most MAX_EXTRA_LINES lines beyond the kit's
maximum before giving up with a plan that does not fit (flagged text_does_not_fit).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .linebreak import break_opportunities, phrase_opportunities
from .shaping import Shaper, drawable, line_width, metrics, reference_height, segments

REF = 100              # reference size for measurements, px
LINE_GAP = 0.96        # line height as a fraction of ascent + descent ...
#: ... and at most this many times the size. Noto Sans Arabic's ascent + descent is 2.12 em
#: (Latin 1.37, CJK 1.45, Thai 1.52), which set Arabic lines twice as far apart as Latin ones:
#: a two-line title read as two titles. Fully vowelled Arabic inks 1.48 em from its highest
#: mark to its deepest tail, so lines this far apart never touch.
MAX_LINE_EM = 1.55
EXTRA_LINE_GAIN = 1.08 # another line must grow the text at least this much to be worth it
RAGGED = 0.5           # a line narrower than this share of the widest makes the block ragged ...
RAGGED_COST = 0.75     # ... and its size counts for this much when choosing how many lines
MAX_PIECES = 120       # break opportunities searched (the line split is cubic in them)
MAX_EXTRA_LINES = 3    # lines tried past max_lines at the floor size before giving up


@dataclass(frozen=True)
class Measure:
    text: str                        # drawable text (clusters without glyphs removed)
    pieces: tuple[str, ...]
    full: tuple[float, ...]          # width at REF of each piece with its trailing space
    trimmed: tuple[float, ...]       # ... and without it
    line_h: float                    # line height at REF
    ink: float                       # reference glyph height / size
    missing: tuple[str, ...]
    finer: "Measure | None" = None   # the same text with every ICU break, when `pieces` are phrases


@dataclass(frozen=True)
class Plan:
    size: int
    lines: tuple[str, ...]
    fits: bool
    width: int          # widest line, px
    height: int         # block height, px
    line_h: int
    ascent: int
    text_height: int    # reference glyph ink height, px
    min_size: int
    overflow_px: int    # how far the block runs past the box (0 when it fits)


@lru_cache(maxsize=2048)
def measure(shaper: Shaper, text: str, locale_tag: str) -> Measure:
    """The text's pieces measured at REF: its phrases where the language has a phrase level
    (linebreak.phrase_opportunities), with every ICU break kept as `finer` for when they do not fit."""
    missing = segments(shaper, text)[1]
    clean = drawable(shaper, text).strip()
    fine = _measured(shaper, clean, break_opportunities(clean, locale_tag) or (clean,), missing)
    phrases = phrase_opportunities(clean, locale_tag)
    return fine if phrases is None else _measured(shaper, clean, phrases, missing, finer=fine)


def _measured(shaper: Shaper, clean: str, pieces: tuple[str, ...], missing: tuple[str, ...],
              finer: Measure | None = None) -> Measure:
    pieces = _coarsen(pieces, MAX_PIECES)
    full = tuple(line_width(shaper, p, REF) for p in pieces)
    trimmed = tuple(line_width(shaper, p.rstrip(), REF) for p in pieces)
    a, d = metrics(shaper.primary, REF)
    ink = reference_height(shaper.primary, shaper.locale_script, REF) / REF
    return Measure(clean, pieces, full, trimmed, min((a + d) * LINE_GAP, MAX_LINE_EM * REF), ink, missing, finer)


def _coarsen(pieces: tuple[str, ...], limit: int) -> tuple[str, ...]:
    """At most `limit` pieces: join runs of neighbours (a subset of the break opportunities)."""
    if len(pieces) <= limit:
        return pieces
    group = math.ceil(len(pieces) / limit)
    return tuple("".join(pieces[i:i + group]) for i in range(0, len(pieces), group))


def _span(m: Measure, i: int, j: int) -> float:
    return sum(m.full[i:j - 1]) + m.trimmed[j - 1]


@lru_cache(maxsize=8192)
def partition(m: Measure, n: int) -> tuple[tuple[int, ...], float]:
    """Split points for n lines minimising the widest line (dynamic programming)."""
    k = len(m.pieces)
    n = min(n, k)
    inf = float("inf")
    best = [[inf] * (k + 1) for _ in range(n + 1)]
    cut = [[0] * (k + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for lines in range(1, n + 1):
        for j in range(lines, k + 1):
            for i in range(lines - 1, j):
                w = max(best[lines - 1][i], _span(m, i, j))
                if w < best[lines][j]:
                    best[lines][j], cut[lines][j] = w, i
    splits, j = [], k
    for lines in range(n, 0, -1):
        splits.append(j)
        j = cut[lines][j]
    return tuple(reversed(splits)), best[n][k]


def _ragged(m: Measure, splits: tuple[int, ...]) -> bool:
    """Whether a line of the split is under RAGGED of the widest (a lone "the" or "ما" between
    longer words): a column of one word per line reads as a list, not a title."""
    widths = [_span(m, i, j) for i, j in zip((0,) + splits[:-1], splits)]
    return len(widths) > 1 and min(widths) < RAGGED * max(widths)


def _lines(m: Measure, splits: tuple[int, ...]) -> tuple[str, ...]:
    out, i = [], 0
    for j in splits:
        out.append("".join(m.pieces[i:j]).strip())
        i = j
    return tuple(out)


def size_bounds(m: Measure, lo_px: int, hi_px: int, min_text_px: int) -> tuple[int, int]:
    """Font size range: the kit's, raised so the reference glyph is at least min_text_px tall."""
    lo = max(lo_px, math.ceil(min_text_px / m.ink) if m.ink else lo_px)
    return lo, max(lo, hi_px)


@lru_cache(maxsize=8192)
def plan(m: Measure, box_w: int, box_h: int, lo_px: int, hi_px: int, max_lines: int,
         min_text_px: int, shaper: Shaper | None = None) -> Plan:
    """Largest size in [lo, hi] at which the text fits box_w x box_h in <= max_lines lines,
    broken between phrases where it can be (a smaller title rather than a word cut in two),
    else wherever ICU allows.

    With a shaper the result is verified by shaping at the final size (rendering); without
    one it is the pure arithmetic plan (preflight). Cached: a layout asks again for the same
    box (the top and bottom bands are one size; a re-layout that makes room repeats them).
    """
    p = _plan(m, box_w, box_h, lo_px, hi_px, max_lines, min_text_px, shaper)
    if not p.fits and m.finer is not None:
        return _plan(m.finer, box_w, box_h, lo_px, hi_px, max_lines, min_text_px, shaper)
    return p


def _plan(m: Measure, box_w: int, box_h: int, lo_px: int, hi_px: int, max_lines: int,
          min_text_px: int, shaper: Shaper | None) -> Plan:
    lo, hi = size_bounds(m, lo_px, hi_px, min_text_px)
    best: tuple[float, int, float] | None = None    # size, lines, size as the choice weighs it
    loosest: tuple[float, int] = (0.0, 1)
    for n in range(1, max(1, min(max_lines, len(m.pieces))) + 1):
        splits, w = partition(m, n)
        s = min(box_w * REF / max(w, 1e-6), box_h * REF / (n * m.line_h))
        if s > loosest[0]:
            loosest = (s, n)
        s = min(s, hi)
        weighed = s * (RAGGED_COST if _ragged(m, splits) else 1.0)
        if s >= lo and (best is None or weighed >= best[2] * EXTRA_LINE_GAIN):
            best = (s, n, weighed)
    fits = best is not None
    size, n = (int(best[0]), best[1]) if best else (lo, loosest[1])
    lines = _lines(m, partition(m, n)[0])
    if shaper is not None and fits:
        for _ in range(4):  # hinting can make the real line a pixel or two wider
            widest = max(line_width(shaper, ln, size) for ln in lines)
            if widest <= box_w:
                break
            size = int(size * box_w / widest) - 1
        if size < lo:
            size, fits = lo, False
    if shaper is not None and not fits:  # at the floor size, use as many lines as it takes
        lines = _wrap_at(shaper, m, size, box_w, max_lines)
    scale = size / REF
    widths = ([line_width(shaper, ln, size) for ln in lines] if shaper is not None
              else [w * scale for w in _line_widths(m, lines)])
    line_h = max(1, round(m.line_h * scale))
    height = line_h * len(lines)
    width = math.ceil(max(widths) if widths else 0)
    overflow = max(0, width - box_w) + max(0, height - box_h)
    if overflow or len(lines) > max_lines:
        fits = False
    ascent = round(metrics(shaper.primary, size)[0]) if shaper is not None else round(0.9 * size)
    return Plan(size, lines, fits, width, height, line_h, ascent, max(1, round(m.ink * size)), lo, overflow)


def _line_widths(m: Measure, lines: tuple[str, ...]) -> list[float]:
    out, i = [], 0
    for ln in lines:
        j, acc = i, ""
        while j < len(m.pieces) and acc.strip() != ln:
            acc += m.pieces[j]
            j += 1
        out.append(_span(m, i, j) if j > i else 0.0)
        i = j
    return out


def _wrap_at(shaper: Shaper, m: Measure, size: int, box_w: int, max_lines: int) -> tuple[str, ...]:
    """Fewest lines at a fixed size (balanced); may exceed max_lines, which the caller flags.
    Gives up after max_lines + MAX_EXTRA_LINES lines: that split is returned, too wide."""
    splits: tuple[int, ...] = ()
    for n in range(1, min(len(m.pieces), max_lines + MAX_EXTRA_LINES) + 1):
        splits, w = partition(m, n)
        if w * size / REF <= box_w:
            break
    return _lines(m, splits) if splits else (m.text,)
