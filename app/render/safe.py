"""Where the finished image may carry marks: the format's safe area and the logo's corner.

Both the renderer and preflight read these, so text, logo and the platform's reserved bands
(a story's header and reply bar) agree everywhere.
"""
from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image

from .formats import Format
from .geometry import Box
from .kit import KitSpec

#: Space kept between a face and any mark (text, logo), as a fraction of the face's size.
FACE_CLEARANCE = 0.2
#: Above a face the head goes on (hair, a cap): the logo keeps this share of the face's height clear there.
HEAD_ABOVE = 0.5


def safe_area(fmt: Format, margin_frac: float) -> Box:
    """The kit's margin, widened to the format's reserved insets (platform UI, bleed)."""
    m = round(min(fmt.width, fmt.height) * margin_frac)
    left = max(m, round(fmt.width * fmt.safe.left))
    right = max(m, round(fmt.width * fmt.safe.right))
    top = max(m, round(fmt.height * fmt.safe.top))
    bottom = max(m, round(fmt.height * fmt.safe.bottom))
    return Box(left, top, fmt.width - left - right, fmt.height - top - bottom)


def padded_faces(faces: list[Box] | tuple[Box, ...]) -> list[Box]:
    """Face boxes grown by FACE_CLEARANCE (the box alone, without a turned face's head)."""
    return padded_for_text(faces)


def padded_for_text(faces: list[Box] | tuple[Box, ...], heads: list[Box] | tuple[Box, ...] | None = None) -> list[Box]:
    """What text keeps clear of: each face's head (Analysis.heads: the face box unless the face
    is turned, then its skull too) grown by the face's FACE_CLEARANCE. With the face box alone,
    group-three's banner set "the Orbit" on the camera operator's hair, behind his profile."""
    if heads is None or len(heads) != len(faces):
        heads = faces
    out = []
    for f, hd in zip(faces, heads):
        p = max(2, round(max(f.w, f.h) * FACE_CLEARANCE))
        out.append(Box(hd.x - p, hd.y - p, hd.w + 2 * p, hd.h + 2 * p))
    return out


def padded_heads(faces: list[Box] | tuple[Box, ...], heads: list[Box] | tuple[Box, ...] | None = None) -> list[Box]:
    """padded_for_text, reaching HEAD_ABOVE of each face's height above it: a face detector's box
    ends at the brow, and a logo clear of the face box sat on the astronaut's hair in posters and
    on Hopper's cap (hopper-lowres, ar-SA)."""
    out = []
    for f, p in zip(faces, padded_for_text(faces, heads)):
        top = min(p.y, f.y - round(f.h * HEAD_ABOVE))
        out.append(Box(p.x, top, p.w, p.bottom - top))
    return out


@lru_cache(maxsize=32)
def _logo_ratio(logo_png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(logo_png)).size


def logo_size(kit: KitSpec, size: tuple[int, int]) -> tuple[int, int] | None:
    """The logo's size on a canvas: the kit's width fraction, at most 12% of the height."""
    if not kit.logo_png:
        return None
    lw, lh = _logo_ratio(kit.logo_png)
    w = max(16, round(size[0] * kit.logo_width))
    h = max(1, round(lh * w / lw))
    if h > size[1] * 0.12:
        h = round(size[1] * 0.12)
        w = max(1, round(lw * h / lh))
    return w, h


def logo_at(kit: KitSpec, fmt: Format, safe: Box, corner: str) -> Box | None:
    """The logo's box in a corner of the safe area ("top-left", "bottom-right", ...)."""
    dims = logo_size(kit, (fmt.width, fmt.height))
    if dims is None:
        return None
    w, h = dims
    x = safe.x if corner.endswith("left") else safe.right - w
    y = safe.y if corner.startswith("top") else safe.bottom - h
    return Box(x, y, w, h)


def logo_corners(zone_name: str, rtl_first: bool) -> list[str]:
    """Corners in order of preference for a text zone: the logo sits on the text block's side
    (the reading-start side for a top or bottom band), at the top unless the text is there."""
    start, end = ("right", "left") if rtl_first else ("left", "right")
    side = zone_name if zone_name in ("left", "right") else start
    other = end if side == start else start
    v, v2 = ("bottom", "top") if zone_name == "top" else ("top", "bottom")
    return [f"{v}-{side}", f"{v}-{other}", f"{v2}-{side}", f"{v2}-{other}"]


def logo_for_zone(kit: KitSpec, fmt: Format, safe: Box, zone_name: str, rtl_first: bool,
                  faces: list[Box], heads: list[Box] | None = None) -> Box | None:
    """The first of the two corners off the text's band (logo_corners) whose logo box is clear of
    every face and the head above it (padded_heads); else the place along the edge between them
    farthest from every head (group-wide's banner: a head under each top corner, the logo goes
    to the sky between them, not beside a head); else the first corner clear of the faces (a
    corner in the text's band costs the text its room: group-wide's banner title halved); the
    preferred one when none is (the text layout then reports it)."""
    boxes = [logo_at(kit, fmt, safe, c) for c in logo_corners(zone_name, rtl_first)]
    if boxes[0] is None:
        return None
    heads = padded_heads(faces, heads)
    for b in boxes[:2]:
        if _clear(b, heads):
            return b
    between = [b for b in along_edge(boxes[0], boxes[1]) if _clear(b, heads)]
    if between:
        return max(between, key=lambda b: min(b.distance(h) for h in heads))   # the first of equals
    keep_clear = padded_faces(faces)
    return next((b for b in boxes if _clear(b, keep_clear)), boxes[0])


def _clear(b: Box, keep_out: list[Box]) -> bool:
    return all(b.intersection(k) == 0 for k in keep_out)


#: Places between the two corners of an edge that the logo may take when both corners are on heads.
EDGE_STEPS = 16


def along_edge(a: Box, b: Box) -> list[Box]:
    """Logo boxes between corner boxes `a` and `b` of one edge (same row), corners excluded, from `a`'s side."""
    return [Box(a.x + round((b.x - a.x) * i / EDGE_STEPS), a.y, a.w, a.h) for i in range(1, EDGE_STEPS)]
