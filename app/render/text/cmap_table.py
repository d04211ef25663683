"""The code points a font maps to a glyph, read straight from its cmap table.

fontTools' getBestCmap builds a {code point: glyph name} dict in Python (0.3-0.6 s for a CJK
collection's 45,000 code points, once per face and process); coverage needs only the code
points, so formats 4 and 12 (the subtables getBestCmap picks in every installed font) are
read with numpy, with fontTools' rules: the same subtable preference, its last format-4 segment
skipped, code points mapped to glyph 0 left out. Any other format goes to fontTools.
"""
from __future__ import annotations

import struct

import numpy as np
from fontTools.ttLib import TTFont

#: fontTools' TTFont.getBestCmap order: (platform, encoding) of the subtable used.
PREFERENCES = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


def code_points(font: TTFont) -> frozenset[int]:
    """The code points of the font's best cmap subtable that map to a glyph other than 0."""
    try:
        return _read(font)
    except (ValueError, IndexError, struct.error):  # a table this reader does not follow
        return _fonttools(font)


def _read(font: TTFont) -> frozenset[int]:
    data = font.getTableData("cmap")
    n = struct.unpack(">H", data[2:4])[0]
    records = [struct.unpack(">HHL", data[4 + 8 * i:12 + 8 * i]) for i in range(n)]
    for pref in PREFERENCES:
        offset = next((off for pid, eid, off in records if (pid, eid) == pref), None)
        if offset is None:
            continue
        fmt = struct.unpack(">H", data[offset:offset + 2])[0]
        if fmt == 4:
            return _format4(data, offset)
        if fmt == 12:
            return _format12(data, offset)
        break
    return _fonttools(font)


def _fonttools(font: TTFont) -> frozenset[int]:
    """fontTools' own reading; a placeholder glyph order keeps it from parsing a CFF charset."""
    font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
    return frozenset(font.getBestCmap() or {})


def _format4(data: bytes, offset: int) -> frozenset[int]:
    length, seg_x2 = struct.unpack(">H2xH", data[offset + 2:offset + 8])
    seg = seg_x2 // 2
    body = np.frombuffer(data, ">u2", count=(length - 14) // 2, offset=offset + 14).astype(np.int64)
    end, start = body[:seg], body[seg + 1:2 * seg + 1]
    delta = body[2 * seg + 1:3 * seg + 1].astype(np.int16).astype(np.int64)
    range_offset = body[3 * seg + 1:4 * seg + 1]
    glyph_ids = body[4 * seg + 1:]
    out: list[np.ndarray] = []
    for i in range(seg - 1):  # the last segment (0xFFFF) is never read, as in fontTools
        codes = np.arange(start[i], end[i] + 1, dtype=np.int64)
        if range_offset[i] == 0:
            gids = (codes + delta[i]) & 0xFFFF
        else:
            g = glyph_ids[codes + (range_offset[i] // 2 - start[i] + i - seg)]
            gids = np.where(g != 0, (g + delta[i]) & 0xFFFF, 0)
        out.append(codes[gids != 0])
    return frozenset(np.concatenate(out).tolist()) if out else frozenset()


def _format12(data: bytes, offset: int) -> frozenset[int]:
    groups = struct.unpack(">L", data[offset + 12:offset + 16])[0]
    g = np.frombuffer(data, ">u4", count=3 * groups, offset=offset + 16).astype(np.int64).reshape(-1, 3)
    lengths = g[:, 1] - g[:, 0] + 1
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    codes, gids = np.repeat(g[:, 0], lengths) + within, np.repeat(g[:, 2], lengths) + within
    return frozenset(codes[gids != 0].tolist())
