"""Paste a solid colour through an 8-bit mask: the same pixels as Pillow's
`Image.paste(color, box, mask)`, at the cost of the pixels the mask really changes.

Pillow blends every pixel of the box with per-channel integer arithmetic (about 10-20 ns a
pixel: a poster's scrim over 4 MP is 50-80 ms, the largest single cost of a render). A text
treatment's mask is mostly one of two shapes: a gradient scrim, constant along each row (or
each column), and glyph coverage, zero almost everywhere. So the mask is cut into
- runs of lines holding one value: zero is skipped (blending with alpha 0 leaves the pixel as it
  is), any other value is one table lookup per channel (`Image.point`, a few ns a pixel) with
  the table Pillow's own blend formula gives for that alpha;
- patches where the mask varies along a line (the glyphs, a plate, a face's keep-off), trimmed
  to the columns that vary, pasted by Pillow as before.
Every pixel gets exactly Pillow's value (tests/test_paste_color.py compares them).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image
from PIL.Image import ImagePointHandler

#: Below this many pixels Pillow's own paste is cheaper than cutting the mask up.
SMALL = 40_000
#: A lookup costs about 0.1 ms a call (crop, table, paste back) and a few ns a pixel, Pillow's
#: blend 15-25 ns a pixel: a run of one value smaller than this is blended by Pillow.
MIN_LOOKUP = 6_000


class _Table(ImagePointHandler):
    """A ready 8-bit table for Image.point (a plain list is rounded value by value on every
    call, which costs more than the lookup of a thin run itself)."""

    def __init__(self, values: tuple[int, ...]) -> None:
        self.values = list(values)

    def point(self, im: Image.Image) -> Image.Image:
        return im._new(im.im.point(self.values, None))


@lru_cache(maxsize=2048)
def _table(alpha: int, color: tuple[int, int, int]) -> _Table:
    """Pillow's blend of every 8-bit value with `color` at `alpha`, per channel (its BLEND and
    DIV255 macros: (v * (255 - a) + c * a + 128) rounded by ((t >> 8) + t) >> 8)."""
    v = np.arange(256, dtype=np.int64)
    out = []
    for c in color:
        t = v * (255 - alpha) + c * alpha + 128
        out.extend((((t >> 8) + t) >> 8).tolist())
    return _Table(tuple(out))


def _runs(values: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, value) of each run of equal consecutive values."""
    cuts = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(values)]))
    return [(int(s), int(e), int(values[s])) for s, e in zip(starts, ends)]


def _lookup(canvas: Image.Image, box: tuple[int, int, int, int], alpha: int, color: tuple[int, int, int]) -> None:
    """Blend `color` at one alpha over a box of the canvas by table lookup."""
    size = (box[2] - box[0], box[3] - box[1])
    if alpha == 0 or size[0] <= 0 or size[1] <= 0:
        return
    if size[0] * size[1] < MIN_LOOKUP:
        canvas.paste(color, box, Image.new("L", size, alpha))
        return
    canvas.paste(canvas.crop(box).point(_table(alpha, color)), box[:2])


def _pillow(canvas: Image.Image, xy: tuple[int, int], mask: np.ndarray, color: tuple[int, int, int]) -> None:
    """Pillow's own paste of a patch, trimmed to the mask's non-zero box."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    patch = np.ascontiguousarray(mask[y0:y1, x0:x1])
    canvas.paste(color, (xy[0] + int(x0), xy[1] + int(y0), xy[0] + int(x1), xy[1] + int(y1)),
                 Image.fromarray(patch, "L"))


def paste_color(canvas: Image.Image, color: tuple[int, int, int], xy: tuple[int, int], mask: np.ndarray) -> None:
    """Blend `color` into the RGB `canvas` through `mask` (uint8, rows x columns) placed with its
    top-left corner at `xy`: Image.paste(color, box, mask), pixel for pixel."""
    h, w = mask.shape
    if h * w < SMALL or canvas.mode != "RGB":
        canvas.paste(color, (xy[0], xy[1], xy[0] + w, xy[1] + h), Image.fromarray(np.ascontiguousarray(mask), "L"))
        return
    along_rows = int((mask == mask[:, :1]).all(axis=1).sum()) * w
    along_cols = int((mask == mask[:1, :]).all(axis=0).sum()) * h
    if along_cols > along_rows:
        _paste_lines(canvas, color, xy, mask.T, transpose=True)
    else:
        _paste_lines(canvas, color, xy, mask, transpose=False)


def _paste_lines(canvas: Image.Image, color: tuple[int, int, int], xy: tuple[int, int], m: np.ndarray,
                 transpose: bool) -> None:
    """Lines are rows of `m` (columns of the canvas when `transpose`). Lines constant along their
    length go by lookup in runs of one value; runs of varying lines split into a varying middle
    (Pillow) and the constant ends on either side of it (lookup, line by line runs)."""
    n, length = m.shape
    first, last = m[:, 0], m[:, -1]
    varying = ~(m == first[:, None]).all(axis=1)

    def box(a0: int, a1: int, b0: int, b1: int) -> tuple[int, int, int, int]:
        """Canvas box of lines a0:a1, positions b0:b1 along them."""
        if transpose:
            return xy[0] + a0, xy[1] + b0, xy[0] + a1, xy[1] + b1
        return xy[0] + b0, xy[1] + a0, xy[0] + b1, xy[1] + a1

    for s, e, vary in _runs(varying.astype(np.int8)):
        block = m[s:e]
        if not vary:
            for a0, a1, value in _runs(first[s:e]):
                _lookup(canvas, box(s + a0, s + a1, 0, length), value, color)
            continue
        head = np.flatnonzero((block != first[s:e, None]).any(axis=0))
        tail = np.flatnonzero((block != last[s:e, None]).any(axis=0))
        b0, b1 = int(head[0]), max(int(head[0]), int(tail[-1]) + 1 if len(tail) else length)
        heads, tails = _runs(first[s:e]), _runs(last[s:e])
        if (e - s) * (length - (b1 - b0)) < MIN_LOOKUP * (len(heads) + len(tails)):
            heads, tails, b0, b1 = [], [], 0, length  # ends too thin to be worth their lookups
        for a0, a1, value in heads:
            _lookup(canvas, box(s + a0, s + a1, 0, b0), value, color)
        for a0, a1, value in tails:
            _lookup(canvas, box(s + a0, s + a1, b1, length), value, color)
        middle = block[:, b0:b1]
        corner = box(s, e, b0, b1)
        _pillow(canvas, corner[:2], middle.T if transpose else middle, color)
