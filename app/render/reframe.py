"""Reframe a key art to a format's aspect ratio, keeping every face whole.

Crop when a window at the target ratio holds every face with its headroom; among such
windows take the one with the most saliency. When none does, expand: take the widest (or
tallest) window that still holds the subjects, place it on the canvas and let a generator
fill the rest. Generated canvas is the last resort: when that expand would generate more than
`max_generated` of the canvas, a crop that holds every face with less room around it (never
below MIN_ROOM of it, so faces stay whole) is taken instead; failing that, the largest room
whose expand stays under `max_generated`; failing that, the full expand (the report flags it).
The generator is passed in (`expander`), so this module stays pure; without one, the classical
extension (app.render.extension) fills the canvas in the brand kit's extension style.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .extension import Expander, classical_expander
from .geometry import Box
from .kit import DEFAULT_EXTENSION

# Space kept around the union of faces, as a fraction of the face height.
HEADROOM = 0.6
SIDE_ROOM = 0.35
FOOTROOM = 0.4
#: The least of that room a reframe may keep to avoid a mostly generated canvas.
MIN_ROOM = 0.15
#: Share of generated canvas above which a smaller room is tried first (a kit may set its own).
MAX_GENERATED = 0.35
#: A face box within this share of the art's side (at least 2 px) of its frame is cut by the frame.
CUT_EDGE = 0.01

@dataclass(frozen=True)
class Reframe:
    mode: str            # "crop" or "expand"
    crop: Box            # window in source pixels (for "expand": the part of the source placed)
    anchor: str | None = None     # a reviewer's crop anchor, also used by expand_placement
    room: float = 1.0             # the share of HEADROOM/SIDE_ROOM/FOOTROOM kept around the faces
    pin: tuple[str, ...] = ()     # for "expand": sides where a face meets the art's frame (cut_sides)


@dataclass
class Framed:
    canvas: Image.Image
    scale: float                  # source px -> canvas px
    offset: Box                   # canvas position of source (0, 0)
    placement: Box | None = None  # where the source window lies on the canvas, for "expand"
    provenance: dict = field(default_factory=dict)


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def _union(boxes) -> Box:
    u = boxes[0]
    for b in boxes[1:]:
        u = u.union(b)
    return u


def _subject_box(faces: tuple[Box, ...] | list[Box], room: float = 1.0) -> Box | None:
    if not faces:
        return None
    u = _union(list(faces))
    fh = max(f.h for f in faces) * room
    pad_x, pad_top, pad_bottom = round(fh * SIDE_ROOM), round(fh * HEADROOM), round(fh * FOOTROOM)
    return Box(u.x - pad_x, u.y - pad_top, u.w + 2 * pad_x, u.h + pad_top + pad_bottom)


def _clip(b: Box, width: int, height: int) -> Box:
    x0, y0 = max(0, b.x), max(0, b.y)
    x1, y1 = min(width, b.right), min(height, b.bottom)
    return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _best_offset(profile: np.ndarray, length: int, lo: int, hi: int, prefer: float) -> int:
    """Start of the window of `length` along a 1-D saliency profile with the most mass, within
    [lo, hi]; ties (and flat maps) go to the start closest to `prefer`."""
    if hi <= lo:
        return lo
    csum = np.concatenate([[0.0], np.cumsum(profile)])
    starts = np.arange(lo, hi + 1)
    mass = csum[starts + length] - csum[starts]
    total = max(float(csum[-1]), 1e-6)
    score = mass / total - 0.02 * np.abs(starts - prefer) / max(1, len(profile))
    return int(starts[int(np.argmax(score))])


#: Crop anchors a re-render may ask for: which side of the art the window leans to.
ANCHORS = ("center", "left", "right", "top", "bottom")


def _anchored(lo: float, hi: float, centre: float, axis: str, anchor: str | None) -> float | None:
    """The window start along one axis for an anchor, within [lo, hi]; None = not asked on this axis."""
    if anchor is None or hi < lo:
        return None
    if anchor == "center":
        return _clamp(centre, lo, hi)
    if (axis, anchor) in (("x", "left"), ("y", "top")):
        return lo
    if (axis, anchor) in (("x", "right"), ("y", "bottom")):
        return hi
    return None


def plan_reframe(width: int, height: int, faces: tuple[Box, ...] | list[Box], aspect: float,
                 saliency: object | None = None, anchor: str | None = None,
                 max_generated: float = MAX_GENERATED) -> Reframe:
    """The window at `aspect` that keeps the faces (with headroom) and the most saliency, or an
    expand plan when no such window exists. `saliency` is an analyze.SaliencyMap or None.
    An expand generating more than `max_generated` of the canvas is avoided by keeping less
    room around the faces (down to MIN_ROOM): a crop when one then holds them, else a smaller expand.

    `anchor` (ANCHORS) is a reviewer's request from a re-render: the window goes as far to that
    side as the faces allow ("center": centred on the art), instead of where saliency pulls it.
    Faces stay whole whatever the anchor says."""
    if anchor is not None and anchor not in ANCHORS:
        raise ValueError(f"crop anchor {anchor!r} is not one of {', '.join(ANCHORS)}")
    if width / height > aspect:
        cw, ch = round(height * aspect), height
    else:
        cw, ch = width, round(width / aspect)
    cw, ch = min(cw, width), min(ch, height)
    sal = saliency.resized(width, height) if saliency is not None else None
    subject = _subject_box(faces)
    if subject is None:
        # No faces: the window with the most saliency; without a map, centred, upper part kept.
        x, y = (width - cw) // 2, round((height - ch) * 0.35)
        if sal is not None:
            x = _best_offset(sal.sum(axis=0), cw, 0, width - cw, x)
            y = _best_offset(sal.sum(axis=1), ch, 0, height - ch, y)
        ax = _anchored(0, width - cw, (width - cw) / 2, "x", anchor)
        ay = _anchored(0, height - ch, (height - ch) / 2, "y", anchor)
        x, y = (x if ax is None else round(ax)), (y if ay is None else round(ay))
        return Reframe("crop", Box(x, y, cw, ch), anchor)
    first = _room_plan(width, height, cw, ch, faces, aspect, sal, anchor, 1.0)
    if first.mode == "crop" or expand_share(first.crop, aspect) <= max_generated:
        return first
    # Expanding would generate most of the canvas. A crop that keeps every face whole, with
    # less room around them, comes first; then a smaller expand; else all the room (flagged).
    tried = [_room_plan(width, height, cw, ch, faces, aspect, sal, anchor, room) for room in _rooms()[1:]]
    crop = next((r for r in tried if r.mode == "crop"), None)
    small = next((r for r in tried if expand_share(r.crop, aspect) <= max_generated), None)
    return crop or small or first


def _room_plan(width: int, height: int, cw: int, ch: int, faces, aspect: float, sal: np.ndarray | None,
               anchor: str | None, room: float) -> Reframe:
    """Crop if a cw x ch window holds the faces with `room` of their room, else the expand window."""
    subject = _subject_box(faces, room)
    need = _clip(subject, width, height)  # headroom that would lie outside the art cannot be asked for
    if need.w <= cw and need.h <= ch:
        return _crop_plan(width, height, cw, ch, faces, subject, need, sal, anchor, room)
    window = _expand_window(width, height, need, aspect, anchor)
    return Reframe("expand", window, anchor, room, cut_sides(window, faces, width, height))


def cut_sides(window: Box, faces, width: int, height: int) -> tuple[str, ...]:
    """The sides of an expand window where a face meets the art's own frame (the photographer
    cut it there). The art stays flush with the canvas on those sides (expand_placement), so a
    cut face is cut by the output's edge too, never continued by generated canvas: a generator
    cannot know the rest of a face, and a blurred half-face reads as damage."""
    tx, ty = max(2, round(width * CUT_EDGE)), max(2, round(height * CUT_EDGE))
    sides = []
    for f in faces:
        if not f.intersection(window):
            continue
        if f.x <= tx and window.x == 0:
            sides.append("left")
        if f.right >= width - tx and window.right == width:
            sides.append("right")
        if f.y <= ty and window.y == 0:
            sides.append("top")
        if f.bottom >= height - ty and window.bottom == height:
            sides.append("bottom")
    return tuple(s for s in ("left", "right", "top", "bottom") if s in sides)


def _rooms() -> list[float]:
    """The room fractions tried, from all of it down to MIN_ROOM."""
    steps = round((1.0 - MIN_ROOM) / 0.05)
    return [round(1.0 - i * (1.0 - MIN_ROOM) / steps, 4) for i in range(steps + 1)]


def expand_share(window: Box, aspect: float) -> float:
    """The share of a canvas at `aspect` an expand of `window` generates (the window fitted inside)."""
    wa = window.w / window.h
    return 1.0 - min(wa, aspect) / max(wa, aspect)


def _crop_plan(width: int, height: int, cw: int, ch: int, faces, subject: Box, need: Box,
               sal: np.ndarray | None, anchor: str | None, room: float) -> Reframe:
    """The cw x ch window holding `need` (faces and their room) with the most saliency."""
    core = _union(list(faces))
    # Windows holding the subject with headroom; faces sit in the upper part of the frame.
    cx, cy = subject.x + subject.w / 2, subject.y + subject.h / 2
    x_lo, x_hi = max(0, need.right - cw), min(width - cw, need.x)
    y_lo, y_hi = max(0, need.bottom - ch), min(height - ch, need.y)
    x = _clamp(round(cx - cw / 2), x_lo, x_hi)
    y = _clamp(round(cy - ch * 0.42), y_lo, y_hi)
    if sal is not None:
        x = _best_offset(sal.sum(axis=0), cw, int(x_lo), int(x_hi), x)
        y = _best_offset(sal.sum(axis=1), ch, int(y_lo), int(y_hi), y)
    ax = _anchored(x_lo, x_hi, (width - cw) / 2, "x", anchor)
    ay = _anchored(y_lo, y_hi, (height - ch) / 2, "y", anchor)
    x, y = (x if ax is None else ax), (y if ay is None else ay)
    # The face core (without headroom) is inside whatever the saliency (or anchor) said.
    x = _clamp(x, core.right - cw, core.x)
    y = _clamp(y, core.bottom - ch, core.y)
    return Reframe("crop", Box(round(x), round(y), cw, ch), anchor, room)


def _expand_window(width: int, height: int, need: Box, aspect: float, anchor: str | None = None) -> Box:
    """The largest window with the subject that is no wider (or taller) than the source allows,
    so as little as possible is generated."""
    if width / height < aspect:   # target wider than the art: keep full width, trim height
        h = min(height, max(need.h, round(width / aspect)))
        lo, hi = max(0, need.bottom - h), min(height - h, need.y)
        y = _anchored(lo, hi, (height - h) / 2, "y", anchor)
        y = round(_clamp(need.y - (h - need.h) * 0.3, 0, height - h) if y is None else y)
        return Box(0, y, width, h)
    w = min(width, max(need.w, round(height * aspect)))
    lo, hi = max(0, need.right - w), min(width - w, need.x)
    x = _anchored(lo, hi, (width - w) / 2, "x", anchor)
    x = round(_clamp(need.x + need.w / 2 - w / 2, 0, width - w) if x is None else x)
    return Box(x, 0, w, height)


def expand_placement(window: Box, size: tuple[int, int], anchor: str | None = None,
                     pin: tuple[str, ...] = ()) -> Box:
    """Where `window` lands on a canvas of `size`: as large as fits, centred, or pushed to the
    anchor's side (a "left" anchor keeps the art at the left and generates the right). Without
    an anchor, a side in `pin` (a face cut by the art's frame there, cut_sides) is kept at the
    canvas's edge when the opposite side is not pinned too. A reviewer's anchor wins: it was
    asked for, and the report flags a face the generated canvas then touches."""
    tw, th = size
    s = min(tw / window.w, th / window.h)
    pw, ph = min(tw, max(1, round(window.w * s))), min(th, max(1, round(window.h * s)))
    x, y = (tw - pw) // 2, (th - ph) // 2
    if anchor is None:
        x = {("left",): 0, ("right",): tw - pw}.get(tuple(p for p in pin if p in ("left", "right")), x)
        y = {("top",): 0, ("bottom",): th - ph}.get(tuple(p for p in pin if p in ("top", "bottom")), y)
    elif anchor == "left":
        x = 0
    elif anchor == "right":
        x = tw - pw
    elif anchor == "top":
        y = 0
    elif anchor == "bottom":
        y = th - ph
    return Box(x, y, pw, ph)


def plan_placement(plan: Reframe, size: tuple[int, int]) -> Box:
    """Where an expand plan's window lands on a canvas of `size` (expand_placement)."""
    return expand_placement(plan.crop, size, plan.anchor, plan.pin)


def placed_window(source: Image.Image, window: Box, placement: Box) -> Image.Image:
    """The source window resampled to the placement size: the exact pixels the canvas keeps."""
    return source.resize((placement.w, placement.h), Image.Resampling.LANCZOS,
                         box=(window.x, window.y, window.right, window.bottom), reducing_gap=3.0)


def reframe_canvas(source: Image.Image, plan: Reframe, size: tuple[int, int],
                   expander: Expander | None = None, extension: str = DEFAULT_EXTENSION,
                   placement: Box | None = None) -> Framed:
    """The canvas at `size` for a plan; an expand plan's new area comes from `expander`, or
    without one from the classical backend in the `extension` style. `placement` overrides
    where an expand plan's window lies (make_room_placement)."""
    c = plan.crop
    if plan.mode == "expand":
        placement = placement or plan_placement(plan, size)
        expand = expander or classical_expander(extension)
        canvas, prov = expand(placed_window(source, c, placement), size, placement)
        if canvas.size != tuple(size):
            raise ValueError(f"expander returned {canvas.size}, expected {tuple(size)}")
        scale = placement.w / c.w
        return Framed(canvas.convert("RGB"), scale,
                      Box(round(placement.x - c.x * scale), round(placement.y - c.y * scale), 0, 0), placement, prov)
    out = source.resize(size, Image.Resampling.LANCZOS, box=(c.x, c.y, c.right, c.bottom), reducing_gap=3.0)
    scale = size[0] / c.w
    return Framed(out, scale, Box(round(-c.x * scale), round(-c.y * scale), 0, 0))


#: Shares of the canvas the art keeps (along the text's axis) when it makes room for text, tried in order.
ROOM_FOR_TEXT = (0.64, 0.5)


def make_room_placement(window: Box, size: tuple[int, int], text_side: str, keep: float = ROOM_FOR_TEXT[0]) -> Box:
    """Where a window goes so that a band on `text_side` (bottom, top, left, right) of the
    canvas holds no art: used when every text zone would cover a face that fills the frame."""
    w, h = size
    bw, bh = (w, h * keep) if text_side in ("top", "bottom") else (w * keep, h)
    s = min(bw / window.w, bh / window.h)
    pw, ph = max(1, round(window.w * s)), max(1, round(window.h * s))
    x = {"left": w - pw, "right": 0}.get(text_side, (w - pw) // 2)
    y = {"top": h - ph, "bottom": 0}.get(text_side, (h - ph) // 2)
    return Box(x, y, pw, ph)


def room_placements(window: Box, size: tuple[int, int], text_side: str, pin: tuple[str, ...] = ()) -> list[Box]:
    """Where a window may go when every text zone would cover a face, best first.

    First the window at its full expand size pushed against one edge, so the whole slack the
    expand already generates lies on the other (text) side: the art loses nothing (a low-res
    close-up in a wide format keeps its full height, instead of shrinking into a smaller island
    of art in generated canvas). The side the layout preferred comes first; a pinned side
    (cut_sides) is never pulled off its edge. Then the bands of make_room_placement, which
    shrink the art (ROOM_FOR_TEXT) on the layout's side."""
    full = expand_placement(window, size, pin=pin)
    w, h = size
    flush = []
    if full.w < w:
        flush += [("left", Box(w - full.w, full.y, full.w, full.h)), ("right", Box(0, full.y, full.w, full.h))]
    if full.h < h:
        flush += [("top", Box(full.x, h - full.h, full.w, full.h)), ("bottom", Box(full.x, 0, full.w, full.h))]
    flush = [(side, b) for side, b in flush if side not in pin]   # the art leaves the text's side
    flush.sort(key=lambda sb: sb[0] != text_side)
    return [b for _, b in flush] + [make_room_placement(window, size, text_side, keep) for keep in ROOM_FOR_TEXT]


def faces_on_canvas(faces: tuple[Box, ...] | list[Box], scale: float, offset: Box) -> list[Box]:
    return [f.scaled(scale).shifted(offset.x, offset.y) for f in faces]


def generated_touches(boxes: list[Box], placement: Box | None, size: tuple[int, int], margin: int = 2) -> list[Box]:
    """Boxes (on the canvas) that reach into, or within `margin` px of, the generated area."""
    if placement is None:
        return []
    w, h = size
    inner = Box(placement.x + (margin if placement.x > 0 else 0),
                placement.y + (margin if placement.y > 0 else 0), 0, 0)
    right = placement.right - (margin if placement.right < w else 0)
    bottom = placement.bottom - (margin if placement.bottom < h else 0)
    inner = Box(inner.x, inner.y, right - inner.x, bottom - inner.y)
    return [b for b in boxes if not inner.contains(b)]
